using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;

namespace Tem.AI;

/// <summary>
/// Turns what an LLM SDK threw into what Tem's worker understands, by the same rules as <see cref="ProviderRateLimitHandler"/>:
/// an account error (quota, billing, key) becomes a <see cref="ProviderAccountException"/>, a 429/503/529 a
/// <see cref="RetryAfterException"/> of its kind (<see cref="ProviderRefusal.Classify"/>), anything else stays as it is.
/// It knows <see cref="ClientResultException"/> (OpenAI and the other System.ClientModel SDKs, with Retry-After read from
/// the raw response), <see cref="HttpRequestException"/> with a status, and the Anthropic SDK's <c>AnthropicApiException</c>
/// family, recognised by type name and its message (<c>"Status Code: …\n{body}"</c>) so Tem.AI need not reference that
/// package, which is not AOT-safe.
/// </summary>
internal static class SdkRefusals
{
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>Tem's exception for <paramref name="exception"/>, charged to <paramref name="permit"/>; null when it is no refusal.</summary>
    public static Exception? Translate(Exception exception, ProviderCallPermit? permit, TimeProvider time)
    {
        if (exception is RetryAfterException or ProviderAccountException)
        {
            return null; // Tem's already (a handler or policy under the SDK threw it and charged the permit)
        }

        if (Describe(exception) is not var (status, body, headers))
        {
            return null;
        }

        if (ProviderAccountErrors.From(status, body, exception) is { } account)
        {
            return account;
        }

        if (ProviderRefusal.Classify(status, body) is not { } kind)
        {
            return null;
        }

        var refusal = Create(kind, (int)status, headers is null ? null : RetryAfter(headers, time.GetUtcNow()), permit?.InFlightAtSend ?? 0, exception);
        permit?.RefusedWithBody(refusal, body);
        return refusal;
    }

    /// <summary>The refusal exception of a kind, worded as the HTTP handler words it.</summary>
    public static RetryAfterException Create(ProviderRefusalKind kind, int status, TimeSpan? advice, int inFlight, Exception? inner)
    {
        var delay = advice ?? DefaultRetryAfter;
        var after = advice is null ? "gave no Retry-After" : string.Create(CultureInfo.InvariantCulture, $"asked to retry after {delay.TotalSeconds:0.###} s");
        return kind switch
        {
            ProviderRefusalKind.Overload => new ProviderOverloadedException(delay, $"The provider answered {status} (overloaded) and {after}.", inner)
            {
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
            ProviderRefusalKind.Concurrency => new RetryAfterException(delay, $"The provider answered {status}: too many concurrent requests ({inFlight} in flight); it {after}.", inner)
            {
                Kind = kind,
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
            _ => new RetryAfterException(delay, $"The provider answered {status} and {after}.", inner)
            {
                IsAdvised = advice is not null,
                InFlightAtSend = inFlight,
            },
        };
    }

    /// <summary>Retry-After in seconds or as an HTTP date, or <c>retry-after-ms</c>; null when absent.</summary>
    public static TimeSpan? RetryAfter(IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset now)
    {
        string? seconds = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("retry-after-ms", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }

            if (name.Equals("retry-after", StringComparison.OrdinalIgnoreCase))
            {
                seconds = value.Trim();
            }
        }

        if (seconds is null)
        {
            return null;
        }

        if (double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0)
        {
            return TimeSpan.FromSeconds(s);
        }

        return DateTimeOffset.TryParse(seconds, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at > now ? at - now : TimeSpan.Zero)
            : null;
    }

    /// <summary>The status, body and headers an SDK's exception carries; null when it carries no status.</summary>
    private static (HttpStatusCode Status, string? Body, IEnumerable<KeyValuePair<string, string>>? Headers)? Describe(Exception exception)
    {
        switch (exception)
        {
            case ClientResultException { Status: > 0 } result:
                var raw = result.GetRawResponse();
                return ((HttpStatusCode)result.Status, raw is null ? result.Message : Body(raw) ?? result.Message, raw?.Headers);
            case HttpRequestException { StatusCode: { } status } http:
                return (status, http.Message, null);
        }

        return IsAnthropicApiException(exception) && AnthropicStatus(exception.Message) is var (code, body) ? (code, body, null) : null;
    }

    private static string? Body(PipelineResponse response)
    {
        try
        {
            return response.Content.ToString();
        }
        catch (InvalidOperationException)
        {
            return null; // a streamed body not buffered: judged by status and message
        }
    }

    private static bool IsAnthropicApiException(Exception exception)
    {
        for (var type = exception.GetType(); type is not null; type = type.BaseType)
        {
            if (type.FullName == "Anthropic.Exceptions.AnthropicApiException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads "Status Code: TooManyRequests\n{body}" (the status an enum name, or a number such as 529).</summary>
    private static (HttpStatusCode, string)? AnthropicStatus(string message)
    {
        const string Prefix = "Status Code: ";
        if (!message.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = message.IndexOf('\n', StringComparison.Ordinal);
        var name = (end < 0 ? message[Prefix.Length..] : message[Prefix.Length..end]).Trim();
        var body = end < 0 ? "" : message[(end + 1)..];
        return Enum.TryParse<HttpStatusCode>(name, ignoreCase: true, out var status) ? (status, body) : null;
    }
}
