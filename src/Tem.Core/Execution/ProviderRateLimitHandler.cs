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
/// and a refusal that names concurrent requests one of kind <see cref="ProviderRefusalKind.Concurrency"/>. With
/// <see cref="ProviderLimits"/>, each request takes a permit of its limit group right before it leaves — the group is
/// the request's host, API key (Authorization, x-api-key or api-key header, fingerprinted) and model (<see cref="ModelOption"/>,
/// or the JSON body's top-level <c>"model"</c>), or the group <see cref="LimitGroupOption"/> names — and every response's
/// limit headers (OpenAI's <c>x-ratelimit-*</c>, Anthropic's <c>anthropic-ratelimit-*</c>) and token usage teach that
/// group its limits. Under an open <see cref="ProviderCallPermit.Current"/> (an adapter took one for the whole call),
/// the response is reported to that permit and no second one is taken.
/// </summary>
/// <example><code>
/// var limits = new ProviderLimits();
/// var http = new HttpClient(new ProviderRateLimitHandler(limits) { InnerHandler = new SocketsHttpHandler() });
/// await using var tem = TemEngine.Open(new TemOptions { DatabasePath = "tem.db", ProviderLimits = limits }, registry);
/// </code></example>
public sealed class ProviderRateLimitHandler : DelegatingHandler
{
    /// <summary>The request option an adapter sets to name the request's model when its body does not (or is a stream).</summary>
    public static readonly HttpRequestOptionsKey<string> ModelOption = new("Tem.Model");

    /// <summary>The request option that names the request's limit group outright (<see cref="LimitGroupKey.Named"/>).</summary>
    public static readonly HttpRequestOptionsKey<string> LimitGroupOption = new("Tem.LimitGroup");

    private const int UsageBodyLimit = 1 << 20;
    private readonly TemWorker? _worker;
    private readonly ProviderLimits? _limits;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler; with <paramref name="worker"/>, the worker's engine's <see cref="TemEngine.ProviderLimits"/> pace its requests.</summary>
    public ProviderRateLimitHandler(TemWorker? worker = null, TimeProvider? time = null)
    {
        _worker = worker;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates the handler over <paramref name="limits"/>, which may exist before any engine (see <see cref="TemOptions.ProviderLimits"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="limits"/> is null.</exception>
    public ProviderRateLimitHandler(ProviderLimits limits)
    {
        _limits = limits ?? throw new ArgumentNullException(nameof(limits));
        _time = TimeProvider.System;
    }

    /// <summary>What a refusal without Retry-After reports as its wait; the worker backs off by itself, longer each time.</summary>
    public TimeSpan DefaultRetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether JSON response bodies (up to 1 MB) are buffered to read their token usage. Default true.</summary>
    public bool ReadTokenUsage { get; init; } = true;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The worker's start permit counts from now, not from when the task got it.
        TaskContext.Current.Value?.MarkRequest();
        var limits = _limits ?? _worker?.Limits;
        var permit = ProviderCallPermit.Current;
        var own = false;
        if (permit is not null)
        {
            permit.OnRequest(); // an adapter's permit covers this call already
        }
        else if (limits is not null)
        {
            var (group, input, output) = await RequestDescription.ReadAsync(request, cancellationToken).ConfigureAwait(false);
            permit = await limits.AcquireAsync(group, input, output, cancellationToken).ConfigureAwait(false);
            own = true;
        }

        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            permit?.ReportHeaders(response.Headers);
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
                    var refusal = Refusal(kind, status, advice, permit?.InFlightAtSend ?? 0);
                    permit?.RefusedWithBody(refusal, body);
                    throw refusal;
                }
            }

            if (own && response.IsSuccessStatusCode)
            {
                var (input, output) = ReadTokenUsage ? await ReadUsageAsync(response, cancellationToken).ConfigureAwait(false) : (null, null);
                permit!.Complete(input, output);
            }

            return response;
        }
        finally
        {
            if (own)
            {
                permit!.Dispose(); // released if nothing above settled it
            }
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
    /// The tokens a JSON completion says it used: OpenAI's <c>usage.prompt_tokens</c> and <c>completion_tokens</c> (or
    /// <c>total_tokens</c> alone), Anthropic's <c>usage.input_tokens</c> and <c>output_tokens</c>. Streams and large bodies are left alone.
    /// </summary>
    private static async Task<(long? Input, long? Output)> ReadUsageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not "application/json" || response.Content.Headers.ContentLength > UsageBodyLimit)
        {
            return (null, null);
        }

        try
        {
            await response.Content.LoadIntoBufferAsync(UsageBodyLimit, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var input = Number(usage, "prompt_tokens") ?? Number(usage, "input_tokens");
            var output = Number(usage, "completion_tokens") ?? Number(usage, "output_tokens");
            if (input is null && output is null && Number(usage, "total_tokens") is { } total)
            {
                return (total, 0);
            }

            return (input, output);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
        {
            return (null, null); // not JSON after all, or larger than announced: the user's code will see it
        }
    }

    private static long? Number(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : null;

    /// <summary>Parses the providers' reset forms: "20ms", "1.5s", "6m0s", "1h2m3s", or plain seconds.</summary>
    internal static TimeSpan? ParseDuration(string? text) => ProviderHeaders.ParseDuration(text);
}
