using System.Globalization;
using System.Net.Http.Headers;

namespace Tem.Execution;

/// <summary>One advertised limit: its size, what is left, and how long until it is full again.</summary>
internal readonly record struct AdvertisedLimit(long Limit, long Remaining, TimeSpan? UntilFull);

/// <summary>What one response advertised about the account's limits.</summary>
internal readonly record struct AdvertisedLimits(AdvertisedLimit? Requests, AdvertisedLimit? Tokens)
{
    public bool IsEmpty => Requests is null && Tokens is null;
}

/// <summary>
/// Reads the limit headers of both styles. OpenAI: <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>, reset a
/// duration (<c>6m0s</c>, <c>120ms</c>) until the limit is fully replenished. Anthropic:
/// <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>, reset an RFC 3339
/// time of full replenishment (measured against the response's Date header when the clocks differ by more than two seconds).
/// Of Anthropic's token limits the tightest (least remaining) stands for "tokens".
/// </summary>
internal static class ProviderHeaders
{
    public static AdvertisedLimits Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        // The Date header has whole seconds: use it only to correct a real clock skew.
        var serverNow = headers.Date is { } date && (date - now).Duration() > TimeSpan.FromSeconds(2) ? date : now;
        var requests = OpenAi(headers, "requests") ?? Anthropic(headers, "requests", serverNow);
        var tokens = OpenAi(headers, "tokens");
        if (tokens is null)
        {
            foreach (var kind in (ReadOnlySpan<string>)["tokens", "input-tokens", "output-tokens"])
            {
                if (Anthropic(headers, kind, serverNow) is { } t && (tokens is null || t.Remaining < tokens.Value.Remaining))
                {
                    tokens = t;
                }
            }
        }

        return new AdvertisedLimits(requests, tokens);
    }

    /// <summary>Retry-After in seconds or as an HTTP date, or <c>retry-after-ms</c>; null when absent.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (Value(headers, "retry-after-ms") is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    private static AdvertisedLimit? OpenAi(HttpResponseHeaders headers, string kind)
    {
        if (!TryLong(Value(headers, $"x-ratelimit-limit-{kind}"), out var limit) || !TryLong(Value(headers, $"x-ratelimit-remaining-{kind}"), out var remaining))
        {
            return null;
        }

        return new AdvertisedLimit(limit, remaining, ParseDuration(Value(headers, $"x-ratelimit-reset-{kind}")));
    }

    private static AdvertisedLimit? Anthropic(HttpResponseHeaders headers, string kind, DateTimeOffset serverNow)
    {
        if (!TryLong(Value(headers, $"anthropic-ratelimit-{kind}-limit"), out var limit) || !TryLong(Value(headers, $"anthropic-ratelimit-{kind}-remaining"), out var remaining))
        {
            return null;
        }

        TimeSpan? untilFull = null;
        if (Value(headers, $"anthropic-ratelimit-{kind}-reset") is { } reset
            && DateTimeOffset.TryParse(reset, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            untilFull = at > serverNow ? at - serverNow : TimeSpan.Zero;
        }

        return new AdvertisedLimit(limit, remaining, untilFull);
    }

    private static bool TryLong(string? text, out long value)
        => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;

    private static string? Value(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    /// <summary>Parses the providers' reset forms (Go durations): "166.6µs", "20ms", "1.5s", "6m0s", "1h2m3s", or plain seconds.</summary>
    public static TimeSpan? ParseDuration(string? text)
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
            while (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] is 'µ' or 'μ'))
            {
                i++;
            }

            switch (text.AsSpan(unitStart, i - unitStart))
            {
                case "ns": total += TimeSpan.FromMilliseconds(value / 1e6); break;
                case "us" or "µs" or "μs": total += TimeSpan.FromMilliseconds(value / 1e3); break;
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
