using System.Text.Json.Nodes;

namespace Tem.ProviderSimulator.Batches;

/// <summary>One simulated OpenAI batch: its request, its lines in processing order, and its result files once it ended.</summary>
internal sealed class OpenAiBatch
{
    public required string Id { get; init; }

    public required string InputFileId { get; init; }

    public required string Endpoint { get; init; }

    public required string CompletionWindow { get; init; }

    public required JsonObject? Metadata { get; init; }

    public required BatchTimeline Timeline { get; init; }

    /// <summary>The lines in the order the simulator finishes them (not the input order).</summary>
    public required IReadOnlyList<SimulatedLine> Lines { get; init; }

    /// <summary>Why validation failed (<c>errors.data</c>); empty when it passes.</summary>
    public required IReadOnlyList<JsonObject> ValidationErrors { get; init; }

    public string? OutputFileId { get; set; }

    public string? ErrorFileId { get; set; }

    /// <summary>Set once the result files were written (at the first read after the batch ended).</summary>
    public bool Materialized { get; set; }
}
