using System.Globalization;
using System.Net;
using System.Text.Json;
using Tem.Execution;

namespace Tem;

/// <summary>
/// An <see cref="HttpClient"/> handler for LLM providers that turns everything a provider says into pacing.
/// Refusals (see <see cref="ProviderRefusal"/>) become exceptions the worker understands, so the task waits without
/// using an attempt: a 429 is a <see cref="RetryAfterException"/> (Retry-After in seconds or as an HTTP date, or
/// <c>retry-after-ms</c>; without one, a growing backoff), a 529 or 503 a <see cref="ProviderOverloadedException"/>,
/// and a refusal that names concurrent requests one of kind <see cref="ProviderRefusalKind.Concurrency"/>. With a
/// worker, every response's limit headers (OpenAI's <c>x-ratelimit-*</c>, Anthropic's <c>anthropic-ratelimit-*</c>)
/// and the token usage in JSON bodies teach the worker the account's limits and refill rates, and it paces its
/// starts to them.
/// </summary>
/// <example><code>
/// var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() });
/// </code></example>
public sealed class ProviderRateLimitHandler : DelegatingHandler
{
    private const int UsageBodyLimit = 1 << 20;
    private readonly TemWorker? _worker;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler; with <paramref name="worker"/>, what the provider advertises paces its starts.</summary>
    public ProviderRateLimitHandler(TemWorker? worker = null, TimeProvider? time = null)
    {
        _worker = worker;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>What a refusal without Retry-After reports as its wait; the worker backs off by itself, longer each time.</summary>
    public TimeSpan DefaultRetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether JSON response bodies (up to 1 MB) are buffered to read their token usage. Default true.</summary>
    public bool ReadTokenUsage { get; init; } = true;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The provider counts the request from now, not from when the task got its permit.
        var first = TaskContext.Current.Value?.MarkRequest() ?? false;
        var pacing = _worker?.Pacing;
        var mark = pacing?.OnRequestSent(first) ?? default;
        var limits = default(AdvertisedLimits);
        long? used = null;
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            limits = ProviderHeaders.Read(response.Headers, now);
            if (await ProviderAccountCheck.ReadAsync(response, cancellationToken).ConfigureAwait(false) is { } account)
            {
                response.Dispose();
                throw account; // quota, billing or key: not a rate limit, so no pacing and no retry
            }

            if ((int)response.StatusCode is 429 or 503 or ProviderRefusal.OverloadedStatus)
            {
                var body = await ReadStartAsync(response, cancellationToken).ConfigureAwait(false);
                if (ProviderRefusal.Classify(response.StatusCode, body) is { } kind)
                {
                    var advice = ProviderHeaders.RetryAfter(response.Headers, now);
                    var status = (int)response.StatusCode;
                    response.Dispose();
                    throw Refusal(kind, status, advice, mark.InFlight);
                }
            }

            if (pacing is not null && ReadTokenUsage && response.IsSuccessStatusCode)
            {
                used = await ReadUsageAsync(response, cancellationToken).ConfigureAwait(false);
            }

            return response;
        }
        finally
        {
            pacing?.OnResponse(mark, limits, used);
        }
    }

    private RetryAfterException Refusal(ProviderRefusalKind kind, int status, TimeSpan? advice, int inFlight)
    {
        var delay = advice ?? DefaultRetryAfter;
        var after = advice is null ? "gave no Retry-After" : string.Create(CultureInfo.InvariantCulture, $"asked to retry after {delay.TotalSeconds:0.###} s");
        return kind switch
        {
            ProviderRefusalKind.Overload => new ProviderOverloadedException(delay, $"The provider answered {status} (overloaded) and {after}.")
            {
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
            ProviderRefusalKind.Concurrency => new RetryAfterException(delay, $"The provider answered {status}: too many concurrent requests ({inFlight} in flight); it {after}.")
            {
                Kind = kind,
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
            _ => new RetryAfterException(delay, $"The provider answered {status} and {after}.")
            {
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
        };
    }

    /// <summary>The first few kilobytes of a refusal's body, which may say what was refused.</summary>
    private static async Task<string?> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[4096];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The tokens a JSON completion says it used: <c>usage.total_tokens</c> (OpenAI), or the sum of
    /// <c>usage.input_tokens</c> and <c>usage.output_tokens</c> (Anthropic). Streams and large bodies are left alone.
    /// </summary>
    private static async Task<long?> ReadUsageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not "application/json" || response.Content.Headers.ContentLength > UsageBodyLimit)
        {
            return null;
        }

        try
        {
            await response.Content.LoadIntoBufferAsync(UsageBodyLimit, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (usage.TryGetProperty("total_tokens", out var total) && total.TryGetInt64(out var t))
            {
                return t;
            }

            var sum = 0L;
            foreach (var name in (ReadOnlySpan<string>)["input_tokens", "output_tokens"])
            {
                if (usage.TryGetProperty(name, out var part) && part.TryGetInt64(out var n))
                {
                    sum += n;
                }
            }

            return sum > 0 ? sum : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
        {
            return null; // not JSON after all, or larger than announced: the user's code will see it
        }
    }

    /// <summary>Parses the providers' reset forms: "20ms", "1.5s", "6m0s", "1h2m3s", or plain seconds.</summary>
    internal static TimeSpan? ParseDuration(string? text) => ProviderHeaders.ParseDuration(text);
}
