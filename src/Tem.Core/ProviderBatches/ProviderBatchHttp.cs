using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tem.ProviderBatches;

/// <summary>
/// The HTTP both batch clients share: send, turn a refusal into a <see cref="ProviderBatchException"/> that quotes the
/// provider, read a JSON body or a JSONL stream line by line through source-generated metadata.
/// </summary>
internal sealed class ProviderBatchHttp(HttpClient http, Uri baseAddress, string provider, Action<HttpRequestHeaders> authorize)
{
    public HttpRequestMessage Request(HttpMethod method, string relative, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(baseAddress, relative)) { Content = content };
        authorize(request.Headers);
        return request;
    }

    public static HttpContent Json<T>(T value, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            await ThrowUnlessSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                        ?? throw new JsonException("the body is null");
                }
                catch (JsonException e)
                {
                    throw new ProviderBatchException($"{provider} batch API: {Describe(request)} answered a body Tem cannot read ({e.Message}). Check the base address points at the provider's API.", (int)response.StatusCode, innerException: e);
                }
            }
        }
    }

    /// <summary>Streams a JSONL body one parsed line at a time; the file may be hundreds of megabytes, so it is never held whole.</summary>
    public async IAsyncEnumerable<T> ReadLinesAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            await ThrowUnlessSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var number = 0;
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    number++;
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    T? parsed;
                    try
                    {
                        parsed = JsonSerializer.Deserialize(line, type);
                    }
                    catch (JsonException e)
                    {
                        throw new ProviderBatchException($"{provider} batch API: line {number} of {Describe(request)} is not a result line Tem can read ({e.Message}).", innerException: e);
                    }

                    if (parsed is not null)
                    {
                        yield return parsed;
                    }
                }
            }
        }
    }

    private async Task ThrowUnlessSuccessAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? type = null, message = null;
        try
        {
            // OpenAI: {"error": {"message", "type"}}; Anthropic: {"type": "error", "error": {"type", "message"}}.
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not JSON: quote the start of the body as it is.
        }

        message ??= body.Length > 300 ? body[..300] : body;
        throw new ProviderBatchException(
            $"{provider} batch API: {Describe(request)} answered {(int)response.StatusCode}{(type is null ? "" : $" ({type})")}: {message}",
            (int)response.StatusCode, type);
    }

    private static string Describe(HttpRequestMessage request) => $"{request.Method} {request.RequestUri?.AbsolutePath}";
}
