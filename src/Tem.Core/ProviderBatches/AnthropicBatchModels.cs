using System.Text.Json;

namespace Tem.ProviderBatches;

// The shapes of Anthropic's Message Batches API (https://docs.anthropic.com/en/api/creating-message-batches):
// property names are written snake_case by ProviderBatchJson's naming policy.

/// <summary>One request of a message batch: <c>{custom_id, params}</c>, params being a Messages API body.</summary>
internal sealed record AnthropicBatchRequest(string CustomId, JsonElement Params);

/// <summary>The body of <c>POST /v1/messages/batches</c>.</summary>
internal sealed record AnthropicCreateBatchRequest(IReadOnlyList<AnthropicBatchRequest> Requests);

/// <summary>A message batch's request counts.</summary>
internal sealed record AnthropicRequestCounts(int Processing, int Succeeded, int Errored, int Canceled, int Expired);

/// <summary>A message batch object.</summary>
internal sealed record AnthropicMessageBatch(
    string Id,
    string ProcessingStatus,
    AnthropicRequestCounts RequestCounts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? CancelInitiatedAt,
    DateTimeOffset? ArchivedAt,
    string? ResultsUrl)
{
    /// <summary>Whether processing ended (results can be read).</summary>
    public bool IsEnded => ProcessingStatus == "ended";
}

/// <summary>A page of <c>GET /v1/messages/batches</c>, newest first.</summary>
internal sealed record AnthropicBatchPage(IReadOnlyList<AnthropicMessageBatch> Data, bool HasMore, string? FirstId, string? LastId);

/// <summary>A request's outcome: <c>type</c> succeeded (with <c>message</c>), errored (with <c>error</c>), canceled or expired.</summary>
internal sealed record AnthropicBatchResult(string Type, JsonElement? Message, JsonElement? Error);

/// <summary>One line of a message batch's results; lines come in any order, matched by <see cref="CustomId"/>.</summary>
internal sealed record AnthropicBatchResultLine(string CustomId, AnthropicBatchResult Result);
