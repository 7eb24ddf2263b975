using System.Globalization;
using System.Net.Http.Headers;

namespace Tem.Execution;

/// <summary>The four limits a provider may advertise for one group.</summary>
internal enum LimitKind
{
    Requests,
    Tokens,
    InputTokens,
    OutputTokens,
}

/// <summary>
/// One advertised limit: its size (null when the provider sent a remaining count without one), what is left, how long
/// until it is full again, and how finely that time was given (a whole-second reset may be up to a second off).
/// </summary>
internal readonly record struct AdvertisedLimit(long? Limit, long Remaining, TimeSpan? UntilFull, TimeSpan Resolution = default)
{
    public AdvertisedLimit(long limit, long remaining, TimeSpan? untilFull)
        : this((long?)limit, remaining, untilFull)
    {
    }
}

/// <summary>What one response advertised about the group's limits, each kind apart.</summary>
internal readonly record struct AdvertisedLimits(AdvertisedLimit? Requests, AdvertisedLimit? Tokens, AdvertisedLimit? InputTokens = null, AdvertisedLimit? OutputTokens = null)
{
    public const int Kinds = 4;

    public bool IsEmpty => Requests is null && Tokens is null && InputTokens is null && OutputTokens is null;

    public AdvertisedLimit? this[LimitKind kind] => kind switch
    {
        LimitKind.Requests => Requests,
        LimitKind.Tokens => Tokens,
        LimitKind.InputTokens => InputTokens,
        _ => OutputTokens,
    };

    /// <summary>Of the token limits, the one with least left (for the probe, which reports one token rate).</summary>
    public AdvertisedLimit? TightestTokens
    {
        get
        {
            AdvertisedLimit? tightest = null;
            foreach (var t in (ReadOnlySpan<AdvertisedLimit?>)[Tokens, InputTokens, OutputTokens])
            {
                if (t is { Limit: not null } l && (tightest is null || l.Remaining < tightest.Value.Remaining))
                {
                    tightest = l;
                }
            }

            return tightest;
        }
    }
}

/// <summary>
/// Reads the limit headers of both styles. OpenAI: <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>, reset a
/// duration (<c>6m0s</c>, <c>120ms</c>) until the limit is fully replenished. Anthropic:
/// <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>, reset an RFC 3339
/// time of full replenishment (measured against the response's Date header when the clocks differ by more than two seconds).
/// Each limit is kept apart, so a refusal can be charged to the one that caused it. A remaining count without a limit
/// is kept too: <c>remaining: 0</c> means wait for the reset.
/// </summary>
internal static class ProviderHeaders
{
    public static AdvertisedLimits Read(HttpResponseHeaders headers, DateTimeOffset now)
        => Read(name => Value(headers, name), headers.Date, now);

    public static AdvertisedLimits Read(IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset now)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            byName.TryAdd(name, value);
        }

        DateTimeOffset? date = byName.TryGetValue("date", out var d) && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        return Read(name => byName.TryGetValue(name, out var v) ? v.Trim() : null, date, now);
    }

    private static AdvertisedLimits Read(Func<string, string?> value, DateTimeOffset? date, DateTimeOffset now)
    {
        // The Date header has whole seconds: use it only to correct a real clock skew.
        var serverNow = date is { } dt && (dt - now).Duration() > TimeSpan.FromSeconds(2) ? dt : now;
        return new AdvertisedLimits(
            OpenAi(value, "requests") ?? Anthropic(value, "requests", serverNow),
            OpenAi(value, "tokens") ?? Anthropic(value, "tokens", serverNow),
            Anthropic(value, "input-tokens", serverNow),
            Anthropic(value, "output-tokens", serverNow));
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

    private static AdvertisedLimit? OpenAi(Func<string, string?> value, string kind)
    {
        if (!TryLong(value($"x-ratelimit-remaining-{kind}"), out var remaining))
        {
            return null;
        }

        var reset = value($"x-ratelimit-reset-{kind}");
        return new AdvertisedLimit(TryLong(value($"x-ratelimit-limit-{kind}"), out var limit) ? limit : null, remaining, ParseDuration(reset), ResolutionOf(reset));
    }

    private static AdvertisedLimit? Anthropic(Func<string, string?> value, string kind, DateTimeOffset serverNow)
    {
        if (!TryLong(value($"anthropic-ratelimit-{kind}-remaining"), out var remaining))
        {
            return null;
        }

        TimeSpan? untilFull = null;
        var resolution = TimeSpan.Zero;
        if (value($"anthropic-ratelimit-{kind}-reset") is { } reset
            && DateTimeOffset.TryParse(reset, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            untilFull = at > serverNow ? at - serverNow : TimeSpan.Zero;
            // "…T12:00:05Z" names a whole second: the bucket may be full up to a second either side of it.
            resolution = reset.Contains('.', StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(1);
        }

        return new AdvertisedLimit(TryLong(value($"anthropic-ratelimit-{kind}-limit"), out var limit) ? limit : null, remaining, untilFull, resolution);
    }

    /// <summary>How finely a Go duration is given: "1s" or "6m0s" to the second, "1.5s" to a tenth, "120ms" to the millisecond.</summary>
    private static TimeSpan ResolutionOf(string? reset)
    {
        if (string.IsNullOrEmpty(reset) || reset.EndsWith("ms", StringComparison.Ordinal) || reset.EndsWith('s') && reset.Length > 1 && !char.IsAsciiDigit(reset[^2]))
        {
            return TimeSpan.FromMilliseconds(1);
        }

        var point = reset.LastIndexOf('.');
        if (point < 0)
        {
            return TimeSpan.FromSeconds(1);
        }

        var decimals = reset.Length - point - 2; // digits between the point and the unit
        return TimeSpan.FromSeconds(Math.Pow(10, -Math.Clamp(decimals, 0, 6)));
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
