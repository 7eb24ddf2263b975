using System.Runtime.CompilerServices;
using System.Text.Json;
using Tem.Llm;
using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>
/// Anthropic's Message Batches for the submission driver. The API keeps no metadata, so a create whose answer was
/// lost is found again as the one batch created since the send time with exactly the submission's request count.
/// </summary>
internal sealed class AnthropicBatchAdapter(AnthropicBatchClient client) : IProviderBatchApi
{
    public bool Uploads => false;

    public Task<string> UploadAsync(SubmissionRow submission, PackedLines lines, CancellationToken cancellationToken)
        => throw new NotSupportedException("Anthropic message batches take their requests inline; there is no file to upload.");

    public async Task<string> CreateAsync(SubmissionRow submission, string? fileId, PackedLines lines, CancellationToken cancellationToken)
    {
        var requests = new List<AnthropicBatchRequest>(lines.Count);
        foreach (var (customId, body) in lines.Bodies)
        {
            using var document = JsonDocument.Parse(body);
            requests.Add(new AnthropicBatchRequest(customId, document.RootElement.Clone()));
        }

        return (await client.CreateAsync(requests, cancellationToken).ConfigureAwait(false)).Id;
    }

    public async Task<string?> FindAsync(SubmissionRow submission, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var from = since.AddMinutes(-1);
        var found = new List<string>();
        await foreach (var batch in client.ListAllAsync(100, cancellationToken).ConfigureAwait(false))
        {
            if (batch.CreatedAt < from)
            {
                break;
            }

            var counts = batch.RequestCounts;
            if (counts.Processing + counts.Succeeded + counts.Errored + counts.Canceled + counts.Expired == submission.LineCount)
            {
                found.Add(batch.Id);
            }
        }

        return found.Count == 1 ? found[0] : null;
    }

    public async Task<(string Status, bool Ended)> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var batch = await client.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        return (batch.ProcessingStatus, batch.IsEnded);
    }

    public async IAsyncEnumerable<LineResult> ReadResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = await client.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        await foreach (var line in client.ReadResultsAsync(batch, cancellationToken).ConfigureAwait(false))
        {
            yield return line.Result.Type switch
            {
                "succeeded" when line.Result.Message is { } message => new LineResult(line.CustomId, LlmWire.Read(LlmProvider.Anthropic, message, viaBatch: true), null),
                "canceled" or "expired" => new LineResult(line.CustomId, null, null),
                _ => new LineResult(line.CustomId, null, $"Anthropic batch line {line.Result.Type}: {line.Result.Error?.GetRawText()}"),
            };
        }
    }

    public Task CancelAsync(string batchId, CancellationToken cancellationToken) => client.CancelAsync(batchId, cancellationToken);
}
