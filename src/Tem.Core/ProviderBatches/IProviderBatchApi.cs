using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>
/// One provider's batch API as the submission driver uses it, each method one HTTP exchange (or one file's stream).
/// OpenAI uploads a file and creates a batch over it; Anthropic creates with the requests inline (<see cref="Uploads"/> false).
/// </summary>
internal interface IProviderBatchApi
{
    /// <summary>Whether a file is uploaded before the create.</summary>
    bool Uploads { get; }

    /// <summary>Uploads the lines; returns the file id.</summary>
    Task<string> UploadAsync(SubmissionRow submission, PackedLines lines, CancellationToken cancellationToken);

    /// <summary>Creates the provider batch (over <paramref name="fileId"/>, or with the lines inline), naming the submission where the API allows; returns its id.</summary>
    Task<string> CreateAsync(SubmissionRow submission, string? fileId, PackedLines lines, CancellationToken cancellationToken);

    /// <summary>Finds a batch this submission created after <paramref name="since"/> (a create whose answer was lost); null when none.</summary>
    Task<string?> FindAsync(SubmissionRow submission, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The batch's status, and whether its results can be read.</summary>
    Task<(string Status, bool Ended)> GetAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Every line's result, in the provider's order.</summary>
    IAsyncEnumerable<LineResult> ReadResultsAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Asks the provider to cancel the batch.</summary>
    Task CancelAsync(string batchId, CancellationToken cancellationToken);
}

/// <summary>A line's result: a response, an error (the provider ran it and it failed), or neither (expired or cancelled before it ran).</summary>
internal readonly record struct LineResult(string CustomId, LlmResponse? Response, string? Error);
