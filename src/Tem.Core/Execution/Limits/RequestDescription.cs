using System.Net.Http.Headers;
using System.Text.Json;

namespace Tem.Execution;

/// <summary>
/// What <see cref="ProviderRateLimitHandler"/> reads from a request before it leaves: its limit group (a named one
/// from <see cref="ProviderRateLimitHandler.LimitGroupOption"/>, else host + API key + model) and its expected token
/// cost. The model comes from <see cref="ProviderRateLimitHandler.ModelOption"/>, else the JSON body's top-level
/// <c>"model"</c>; the cost is the body's text (every string value but the model's) at four characters a token, plus
/// its <c>max_tokens</c> (or <c>max_completion_tokens</c>, <c>max_output_tokens</c>): what OpenAI charges at admission.
/// Only JSON bodies of up to 256 KB are read; they are buffered, which the send would do anyway.
/// </summary>
internal static class RequestDescription
{
    private const int BodyLimit = 256 * 1024;

    public static async ValueTask<(LimitGroupKey Group, long InputTokens, long OutputTokens)> ReadAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(ProviderRateLimitHandler.LimitGroupOption, out var named) && !string.IsNullOrWhiteSpace(named))
        {
            var (_, i, o) = await ReadBodyAsync(request.Content, cancellationToken).ConfigureAwait(false);
            return (LimitGroupKey.Named(named.Trim()), i, o);
        }

        var (bodyModel, input, output) = await ReadBodyAsync(request.Content, cancellationToken).ConfigureAwait(false);
        var model = request.Options.TryGetValue(ProviderRateLimitHandler.ModelOption, out var m) && !string.IsNullOrWhiteSpace(m) ? m : bodyModel;
        var endpoint = request.RequestUri is { IsAbsoluteUri: true } uri ? uri : new Uri("http://localhost/");
        return (LimitGroupKey.For(endpoint, ApiKey(request.Headers), model), input, output);
    }

    /// <summary>The key the provider bills: a bearer token, or an x-api-key / api-key header.</summary>
    private static string? ApiKey(HttpRequestHeaders headers)
    {
        if (headers.Authorization is { } auth)
        {
            return auth.Parameter ?? auth.Scheme;
        }

        foreach (var name in (ReadOnlySpan<string>)["x-api-key", "api-key"])
        {
            if (headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { Length: > 0 } key)
            {
                return key;
            }
        }

        return null;
    }

    private static async ValueTask<(string? Model, long InputTokens, long OutputTokens)> ReadBodyAsync(HttpContent? content, CancellationToken cancellationToken)
    {
        if (content is null || content.Headers.ContentType?.MediaType is not { } media || !media.Contains("json", StringComparison.OrdinalIgnoreCase)
            || content.Headers.ContentLength > BodyLimit)
        {
            return (null, 0, 0);
        }

        try
        {
            await content.LoadIntoBufferAsync(BodyLimit, cancellationToken).ConfigureAwait(false);
            var bytes = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return Parse(bytes);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            return (null, 0, 0); // larger than the limit, or a stream that cannot be read twice: no description
        }
    }

    internal static (string? Model, long InputTokens, long OutputTokens) Parse(ReadOnlySpan<byte> json)
    {
        string? model = null;
        long output = 0;
        long textBytes = 0;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            string? property = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.CurrentDepth == 1 ? reader.GetString() : null;
                        break;
                    case JsonTokenType.String when property == "model":
                        model = reader.GetString();
                        property = null;
                        break;
                    case JsonTokenType.String:
                        textBytes += reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        property = null;
                        break;
                    case JsonTokenType.Number when property is "max_tokens" or "max_completion_tokens" or "max_output_tokens":
                        output = reader.TryGetInt64(out var n) && n > 0 ? n : 0;
                        property = null;
                        break;
                    default:
                        if (reader.TokenType is not JsonTokenType.StartObject and not JsonTokenType.StartArray)
                        {
                            property = null;
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            return (model, 0, output); // not JSON after all: what was read stands
        }

        return (model, (textBytes + 3) / 4, output);
    }
}
