using System.Runtime.CompilerServices;
using Tem.Llm;
using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>OpenAI's Batch API for the submission driver: the batch's metadata names the submission (<c>tem_submission</c> = nonce).</summary>
internal sealed class OpenAiBatchAdapter(OpenAiBatchClient client) : IProviderBatchApi
{
    public const string MetadataKey = "tem_submission";

    public bool Uploads => true;

    public async Task<string> UploadAsync(SubmissionRow submission, PackedLines lines, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(lines.Jsonl, writable: false);
        var file = await client.UploadBatchFileAsync(stream, "tem-" + submission.Nonce + ".jsonl", cancellationToken).ConfigureAwait(false);
        return file.Id;
    }

    public async Task<string> CreateAsync(SubmissionRow submission, string? fileId, PackedLines lines, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [MetadataKey] = submission.Nonce };
        var batch = await client.CreateAsync(fileId ?? throw new InvalidOperationException("An OpenAI batch needs its uploaded file."), "/v1/chat/completions", metadata, cancellationToken).ConfigureAwait(false);
        return batch.Id;
    }

    public async Task<string?> FindAsync(SubmissionRow submission, DateTimeOffset since, CancellationToken cancellationToken)
        => (await client.FindByMetadataAsync(MetadataKey, submission.Nonce, since, cancellationToken).ConfigureAwait(false))?.Id;

    public async Task<(string Status, bool Ended)> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var batch = await client.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        return (batch.Status, batch.IsTerminal);
    }

    public async IAsyncEnumerable<LineResult> ReadResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = await client.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        foreach (var fileId in new[] { batch.OutputFileId, batch.ErrorFileId })
        {
            if (fileId is null)
            {
                continue;
            }

            await foreach (var line in client.ReadFileLinesAsync(fileId, cancellationToken).ConfigureAwait(false))
            {
                yield return Map(line);
            }
        }
    }

    public Task CancelAsync(string batchId, CancellationToken cancellationToken) => client.CancelAsync(batchId, cancellationToken);

    private static LineResult Map(OpenAiBatchOutputLine line)
    {
        if (line.Error is { } error)
        {
            // Lines the batch never ran come back as errors with these codes: they were not attempted.
            return error.Code is "batch_expired" or "batch_cancelled"
                ? new LineResult(line.CustomId, null, null)
                : new LineResult(line.CustomId, null, $"OpenAI batch line error {error.Code}: {error.Message}");
        }

        if (line.Response is { StatusCode: >= 200 and < 300 } response)
        {
            return new LineResult(line.CustomId, LlmWire.Read(LlmProvider.OpenAI, response.Body, viaBatch: true), null);
        }

        return new LineResult(line.CustomId, null, $"OpenAI batch line answered {line.Response?.StatusCode}: {line.Response?.Body.GetRawText()}");
    }
}
