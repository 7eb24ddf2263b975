using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Tem.ProviderBatches;

/// <summary>
/// A small client of OpenAI's Batch API: upload a JSONL input file, create a batch that names its submission in
/// <c>metadata</c>, get, list (and find a batch again by its metadata after a crash), cancel, and stream the output
/// and error files. One HTTP call per method, no retries: Tem's store decides what is safe to repeat.
/// </summary>
internal sealed class OpenAiBatchClient
{
    private readonly ProviderBatchHttp _http;

    /// <param name="http">The client to send with.</param>
    /// <param name="baseAddress">The API root, such as https://api.openai.com/ (the <c>v1/…</c> paths are added).</param>
    /// <param name="apiKey">Sent as a bearer token.</param>
    public OpenAiBatchClient(HttpClient http, Uri baseAddress, string apiKey)
        => _http = new ProviderBatchHttp(http, baseAddress, "OpenAI", h => h.Authorization = new AuthenticationHeaderValue("Bearer", apiKey));

    /// <summary>Uploads a JSONL file (one <c>{custom_id, method, url, body}</c> a line) with purpose <c>batch</c>.</summary>
    public Task<OpenAiFile> UploadBatchFileAsync(Stream jsonl, string fileName, CancellationToken cancellationToken = default)
    {
        var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var file = new StreamContent(jsonl);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", fileName);
        return _http.SendAsync(_http.Request(HttpMethod.Post, "v1/files", form), ProviderBatchJson.Default.OpenAiFile, cancellationToken);
    }

    /// <summary>Writes <paramref name="lines"/> as JSONL and uploads them.</summary>
    public async Task<OpenAiFile> UploadBatchFileAsync(IEnumerable<OpenAiBatchRequestLine> lines, string fileName, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        WriteJsonl(lines, buffer);
        buffer.Position = 0;
        return await UploadBatchFileAsync(buffer, fileName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one request per line, as the input file wants it.</summary>
    public static void WriteJsonl(IEnumerable<OpenAiBatchRequestLine> lines, Stream destination)
    {
        using var writer = new Utf8JsonWriter(destination);
        foreach (var line in lines)
        {
            JsonSerializer.Serialize(writer, line, ProviderBatchJson.Default.OpenAiBatchRequestLine);
            writer.Flush();
            writer.Reset();
            destination.WriteByte((byte)'\n');
        }
    }

    /// <summary>Creates a batch over an uploaded file; <paramref name="metadata"/> (up to 16 pairs) names the submission so it can be found again.</summary>
    public Task<OpenAiBatch> CreateAsync(string inputFileId, string endpoint, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
        => _http.SendAsync(
            _http.Request(HttpMethod.Post, "v1/batches", ProviderBatchHttp.Json(new OpenAiCreateBatchRequest(inputFileId, endpoint, "24h", metadata), ProviderBatchJson.Default.OpenAiCreateBatchRequest)),
            ProviderBatchJson.Default.OpenAiBatch, cancellationToken);

    /// <summary>Reads a batch's status, counts and result file ids.</summary>
    public Task<OpenAiBatch> GetAsync(string batchId, CancellationToken cancellationToken = default)
        => _http.SendAsync(_http.Request(HttpMethod.Get, "v1/batches/" + Uri.EscapeDataString(batchId)), ProviderBatchJson.Default.OpenAiBatch, cancellationToken);

    /// <summary>One page of batches, newest first; pass the previous page's <see cref="OpenAiBatchPage.LastId"/> as <paramref name="after"/>.</summary>
    public Task<OpenAiBatchPage> ListAsync(string? after = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        var query = "v1/batches?limit=" + limit.ToString(CultureInfo.InvariantCulture) + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
        return _http.SendAsync(_http.Request(HttpMethod.Get, query), ProviderBatchJson.Default.OpenAiBatchPage, cancellationToken);
    }

    /// <summary>Every batch, newest first, page by page.</summary>
    public async IAsyncEnumerable<OpenAiBatch> ListAllAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
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

    /// <summary>
    /// Finds the batch whose metadata has <paramref name="key"/> = <paramref name="value"/>, created at or after
    /// <paramref name="createdSince"/> (the list is newest first, so the walk stops at older batches). Null when none:
    /// after a crash between "create sent" and "batch id recorded" this says whether the create took effect.
    /// </summary>
    public async Task<OpenAiBatch?> FindByMetadataAsync(string key, string value, DateTimeOffset createdSince, CancellationToken cancellationToken = default)
    {
        // Provider clocks and ours differ: look a minute further back than asked.
        var since = createdSince.AddMinutes(-1).ToUnixTimeSeconds();
        await foreach (var batch in ListAllAsync(100, cancellationToken).ConfigureAwait(false))
        {
            if (batch.CreatedAt < since)
            {
                return null;
            }

            if (batch.Metadata is { } metadata && metadata.TryGetValue(key, out var found) && found == value)
            {
                return batch;
            }
        }

        return null;
    }

    /// <summary>Asks for a cancel; the batch goes to <c>cancelling</c>, then <c>cancelled</c> with the finished lines in its output file.</summary>
    public Task<OpenAiBatch> CancelAsync(string batchId, CancellationToken cancellationToken = default)
        => _http.SendAsync(_http.Request(HttpMethod.Post, "v1/batches/" + Uri.EscapeDataString(batchId) + "/cancel"), ProviderBatchJson.Default.OpenAiBatch, cancellationToken);

    /// <summary>Streams the lines of an output or error file, in the provider's order (not the input's).</summary>
    public IAsyncEnumerable<OpenAiBatchOutputLine> ReadFileLinesAsync(string fileId, CancellationToken cancellationToken = default)
        => _http.ReadLinesAsync(_http.Request(HttpMethod.Get, "v1/files/" + Uri.EscapeDataString(fileId) + "/content"), ProviderBatchJson.Default.OpenAiBatchOutputLine, cancellationToken);
}
