using System.Globalization;
using System.Net;

namespace Tem;

/// <summary>
/// An <see cref="HttpClient"/> handler for LLM providers. A 429, or a 503 that carries Retry-After, becomes a
/// <see cref="RetryAfterException"/> (Retry-After in seconds or as an HTTP date, or <c>retry-after-ms</c>), so the
/// task is rescheduled without using an attempt and the whole worker pauses. A successful response whose
/// <c>x-ratelimit-remaining-requests</c> or <c>x-ratelimit-remaining-tokens</c> is 0 pauses new starts until the
/// matching <c>x-ratelimit-reset-*</c> time, so the worker re-syncs to the provider's own count.
/// </summary>
/// <example><code>
/// var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() });
/// </code></example>
public sealed class ProviderRateLimitHandler : DelegatingHandler
{
    private readonly TemWorker? _worker;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler; with <paramref name="worker"/>, exhausted-limit headers pause its starts.</summary>
    public ProviderRateLimitHandler(TemWorker? worker = null, TimeProvider? time = null)
    {
        _worker = worker;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Used when a 429 says nothing about when to retry.</summary>
    public TimeSpan DefaultRetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The provider counts the request from now, not from when the task got its permit.
        TaskContext.Current.Value?.MarkRequestSent();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var retryAfter = RetryAfter(response);
        if (response.StatusCode == HttpStatusCode.TooManyRequests || (response.StatusCode == HttpStatusCode.ServiceUnavailable && retryAfter is not null))
        {
            var delay = retryAfter ?? DefaultRetryAfter;
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new RetryAfterException(delay, string.Create(CultureInfo.InvariantCulture,
                $"The provider answered {status} and asked to retry after {delay.TotalSeconds:0.###} s."));
        }

        if (_worker is not null && response.IsSuccessStatusCode)
        {
            var pause = TimeSpan.Zero;
            foreach (var kind in (ReadOnlySpan<string>)["requests", "tokens"])
            {
                if (Header(response, $"x-ratelimit-remaining-{kind}") is "0" && ParseDuration(Header(response, $"x-ratelimit-reset-{kind}")) is { } reset && reset > pause)
                {
                    pause = reset;
                }
            }

            _worker.PauseStarts(pause);
        }

        return response;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (Header(response, "retry-after-ms") is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    /// <summary>Parses the providers' reset forms: "20ms", "1.5s", "6m0s", "1h2m3s", or plain seconds.</summary>
    internal static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plainSeconds))
        {
            return plainSeconds >= 0 ? TimeSpan.FromSeconds(plainSeconds) : null;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            switch (text.AsSpan(unitStart, i - unitStart))
            {
                case "ms": total += TimeSpan.FromMilliseconds(value); break;
                case "s": total += TimeSpan.FromSeconds(value); break;
                case "m": total += TimeSpan.FromMinutes(value); break;
                case "h": total += TimeSpan.FromHours(value); break;
                default: return null;
            }
        }

        return total;
    }
}
