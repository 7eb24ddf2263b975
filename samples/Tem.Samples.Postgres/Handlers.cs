using System.Text.Json.Serialization;
using Tem;

[assembly: TemJsonContext(typeof(Tem.Samples.Postgres.SampleJsonContext))]

namespace Tem.Samples.Postgres;

/// <summary>A text to summarise.</summary>
public sealed record SummarizePayload(string Text);

/// <summary>What the summary produced, and which process made it.</summary>
public sealed record SummarizeResult(string Summary, int ProcessId);

[JsonSerializable(typeof(SummarizePayload))]
[JsonSerializable(typeof(SummarizeResult))]
internal sealed partial class SampleJsonContext : JsonSerializerContext
{
}

/// <summary>The sample's handler; the generator turns it into <c>TemTasks</c> and <c>TemHandlers.Registry</c>.</summary>
public static class SampleHandlers
{
    /// <summary>Pretends to call an LLM.</summary>
    [TemHandler("summarize", MaxAttempts = 3)]
    public static async Task<SummarizeResult> Summarize(SummarizePayload payload, CancellationToken cancellationToken)
    {
        await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        return new SummarizeResult(payload.Text.Length > 12 ? payload.Text[..12] + "…" : payload.Text, Environment.ProcessId);
    }
}
