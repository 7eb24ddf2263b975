using System.Globalization;
using System.Runtime.CompilerServices;

namespace Tem.ProviderBatches;

/// <summary>
/// A small client of Anthropic's Message Batches API: create, get, list, cancel, and stream the results. One HTTP call
/// per method, no retries: Tem's store decides what is safe to repeat.
/// </summary>
internal sealed class AnthropicBatchClient
{
    private readonly ProviderBatchHttp _http;

    /// <param name="http">The client to send with.</param>
    /// <param name="baseAddress">The API root, such as https://api.anthropic.com/ (the <c>v1/…</c> paths are added).</param>
    /// <param name="apiKey">Sent as <c>x-api-key</c>.</param>
    /// <param name="version">The <c>anthropic-version</c> header.</param>
    public AnthropicBatchClient(HttpClient http, Uri baseAddress, string apiKey, string version = "2023-06-01")
        => _http = new ProviderBatchHttp(http, baseAddress, "Anthropic", h =>
        {
            h.Add("x-api-key", apiKey);
            h.Add("anthropic-version", version);
        });

    /// <summary>Creates a message batch; it starts <c>in_progress</c> at once.</summary>
    public Task<AnthropicMessageBatch> CreateAsync(IReadOnlyList<AnthropicBatchRequest> requests, CancellationToken cancellationToken = default)
        => _http.SendAsync(
            _http.Request(HttpMethod.Post, "v1/messages/batches", ProviderBatchHttp.Json(new AnthropicCreateBatchRequest(requests), ProviderBatchJson.Default.AnthropicCreateBatchRequest)),
            ProviderBatchJson.Default.AnthropicMessageBatch, cancellationToken);

    /// <summary>Reads a batch's processing status and counts.</summary>
    public Task<AnthropicMessageBatch> GetAsync(string batchId, CancellationToken cancellationToken = default)
        => _http.SendAsync(_http.Request(HttpMethod.Get, "v1/messages/batches/" + Uri.EscapeDataString(batchId)), ProviderBatchJson.Default.AnthropicMessageBatch, cancellationToken);

    /// <summary>One page of batches, newest first; pass the previous page's <see cref="AnthropicBatchPage.LastId"/> as <paramref name="afterId"/>.</summary>
    public Task<AnthropicBatchPage> ListAsync(string? afterId = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        var query = "v1/messages/batches?limit=" + limit.ToString(CultureInfo.InvariantCulture) + (afterId is null ? "" : "&after_id=" + Uri.EscapeDataString(afterId));
        return _http.SendAsync(_http.Request(HttpMethod.Get, query), ProviderBatchJson.Default.AnthropicBatchPage, cancellationToken);
    }

    /// <summary>Every batch, newest first, page by page.</summary>
    public async IAsyncEnumerable<AnthropicMessageBatch> ListAllAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        while (true)
        {
            var page = await ListAsync(after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var batch in page.Data)
            {
                yield return batch;
            }

            if (!page.HasMore || page.LastId is null)
            {
                yield break;
            }

            after = page.LastId;
        }
    }

    /// <summary>Asks for a cancel; the batch goes to <c>canceling</c>, then <c>ended</c> with the unfinished requests <c>canceled</c>.</summary>
    public Task<AnthropicMessageBatch> CancelAsync(string batchId, CancellationToken cancellationToken = default)
        => _http.SendAsync(_http.Request(HttpMethod.Post, "v1/messages/batches/" + Uri.EscapeDataString(batchId) + "/cancel"), ProviderBatchJson.Default.AnthropicMessageBatch, cancellationToken);

    /// <summary>Streams an ended batch's results from its <c>results_url</c>, in the provider's order (not the input's).</summary>
    public IAsyncEnumerable<AnthropicBatchResultLine> ReadResultsAsync(AnthropicMessageBatch batch, CancellationToken cancellationToken = default)
    {
        if (batch.ResultsUrl is not { } url)
        {
            throw new ProviderBatchException($"Anthropic message batch {batch.Id} has no results_url yet (processing_status '{batch.ProcessingStatus}'): read results once it has ended.");
        }

        return _http.ReadLinesAsync(_http.Request(HttpMethod.Get, url), ProviderBatchJson.Default.AnthropicBatchResultLine, cancellationToken);
    }
}
