using System.Text.Json.Serialization;
using Tem;

namespace Tem.Samples.BatchApi;

/// <summary>One document; the prompt names it as doc-N.</summary>
public sealed record DocumentPayload(int Number);

/// <summary>What the task stores: the document, the model's answer, and whether it came at the batch discount.</summary>
public sealed record DocumentSummary(int Number, string Text, bool ViaProviderBatch);

/// <summary>The LLM task: it describes its call, and Tem sends it live or through the provider's batch API.</summary>
public sealed class Summarize(string model) : ILlmTask<DocumentPayload, DocumentSummary>
{
    /// <summary>The task type, with AOT-safe JSON metadata from <see cref="SampleJson"/>.</summary>
    public static readonly TaskType<DocumentPayload, DocumentSummary> Type =
        new("summarize", SampleJson.Default.DocumentPayload, SampleJson.Default.DocumentSummary, maxAttempts: 4);

    /// <inheritdoc/>
    public LlmRequest BuildRequest(DocumentPayload payload)
        => new(model, [LlmMessage.User($"Summarize doc-{payload.Number} in one line.")], maxTokens: 32);

    /// <inheritdoc/>
    public DocumentSummary ReadResponse(DocumentPayload payload, LlmResponse response)
        => new(payload.Number, response.Text, response.ViaProviderBatch);
}

/// <summary>System.Text.Json's own metadata for the payload and the result (AOT-safe).</summary>
[JsonSerializable(typeof(DocumentPayload))]
[JsonSerializable(typeof(DocumentSummary))]
public sealed partial class SampleJson : JsonSerializerContext;
