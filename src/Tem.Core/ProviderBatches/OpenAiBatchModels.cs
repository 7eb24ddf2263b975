using System.Text.Json;

namespace Tem.ProviderBatches;

// The shapes of OpenAI's Batch API (https://platform.openai.com/docs/api-reference/batch): property names are
// written snake_case by ProviderBatchJson's naming policy.

/// <summary>One request line of a batch input file: <c>{custom_id, method, url, body}</c>.</summary>
internal sealed record OpenAiBatchRequestLine(string CustomId, string Method, string Url, JsonElement Body);

/// <summary>A stored file (<c>/v1/files</c>).</summary>
internal sealed record OpenAiFile(string Id, long Bytes, string? Filename, string Purpose, long CreatedAt);

/// <summary>The body of <c>POST /v1/batches</c>.</summary>
internal sealed record OpenAiCreateBatchRequest(string InputFileId, string Endpoint, string CompletionWindow, IReadOnlyDictionary<string, string>? Metadata);

/// <summary>A batch's request counts.</summary>
internal sealed record OpenAiRequestCounts(int Total, int Completed, int Failed);

/// <summary>One reason a batch failed validation.</summary>
internal sealed record OpenAiBatchError(string? Code, string? Message, string? Param, int? Line);

/// <summary>The list of validation errors of a failed batch.</summary>
internal sealed record OpenAiBatchErrors(IReadOnlyList<OpenAiBatchError>? Data);

/// <summary>A batch object (<c>/v1/batches/{id}</c>).</summary>
internal sealed record OpenAiBatch(
    string Id,
    string Status,
    string Endpoint,
    string InputFileId,
    string? OutputFileId,
    string? ErrorFileId,
    string CompletionWindow,
    long CreatedAt,
    long? InProgressAt,
    long? ExpiresAt,
    long? FinalizingAt,
    long? CompletedAt,
    long? FailedAt,
    long? ExpiredAt,
    long? CancellingAt,
    long? CancelledAt,
    OpenAiRequestCounts? RequestCounts,
    IReadOnlyDictionary<string, string>? Metadata,
    OpenAiBatchErrors? Errors)
{
    /// <summary>Whether the batch will change no more: completed, failed, expired or cancelled.</summary>
    public bool IsTerminal => Status is "completed" or "failed" or "expired" or "cancelled";
}

/// <summary>A page of <c>GET /v1/batches</c>, newest first.</summary>
internal sealed record OpenAiBatchPage(IReadOnlyList<OpenAiBatch> Data, string? FirstId, string? LastId, bool HasMore);

/// <summary>The response part of an output or error file line.</summary>
internal sealed record OpenAiLineResponse(int StatusCode, string? RequestId, JsonElement Body);

/// <summary>The error part of an error file line (a request that never ran: expired, cancelled).</summary>
internal sealed record OpenAiLineError(string? Code, string? Message);

/// <summary>One line of an output or error file; lines come in any order, matched by <see cref="CustomId"/>.</summary>
internal sealed record OpenAiBatchOutputLine(string? Id, string CustomId, OpenAiLineResponse? Response, OpenAiLineError? Error);
