using System.Globalization;
using Tem.Discovery;
using Tem.Execution;

namespace Tem;

/// <summary>
/// Finds the limits an endpoint enforces, with bounded traffic. Rate limits come from the provider's own headers
/// when it advertises them (OpenAI's <c>x-ratelimit-*</c> or Anthropic's <c>anthropic-ratelimit-*</c>: a few requests
/// suffice); only when it does not does the probe measure them: a burst until the first 429 gives the bucket's size,
/// then twice a one-second wait and another burst give its refill rate. The concurrency limit is never advertised: it is measured with doubling bursts of
/// simultaneous requests (2, 4, 8, …) until the provider refuses some as too many at once; with headers, each burst
/// waits until the advertised budget has room for it. Never sends more than <see cref="Budget"/> requests.
/// </summary>
/// <example><code>
/// var probe = new ProviderLimitProbe(http, () => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(ping) }) { Budget = 150 };
/// var found = await probe.ProbeAsync();
/// options.RateLimit = found.RateLimit;
/// options.Concurrency = found.Concurrency ?? options.Concurrency;
/// </code></example>
public sealed class ProviderLimitProbe
{
    private readonly HttpClient _http;
    private readonly Func<HttpRequestMessage> _createRequest;
    private readonly TimeProvider _time;

    /// <summary>Creates a probe that sends requests made by <paramref name="createRequest"/> (one new message per call) through <paramref name="http"/>.</summary>
    public ProviderLimitProbe(HttpClient http, Func<HttpRequestMessage> createRequest, TimeProvider? time = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _createRequest = createRequest ?? throw new ArgumentNullException(nameof(createRequest));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Most requests the probe may send, refused ones included. Default 200.</summary>
    public int Budget { get; init; } = 200;

    /// <summary>The largest burst of simultaneous requests tried when looking for a concurrency limit. Default 64.</summary>
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>How long the probe may take. Default 60 s.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Probes the endpoint.</summary>
    /// <exception cref="TemConfigurationException">A setting is out of range.</exception>
    /// <exception cref="TemException">The endpoint's first answer was neither a success nor a refusal (a 401 or 404, say).</exception>
    public async Task<DiscoveredLimits> ProbeAsync(CancellationToken cancellationToken = default)
    {
        if (Budget < 2)
        {
            throw new TemConfigurationException($"ProviderLimitProbe.Budget is {Budget}; it must be at least 2 (one request to read headers, more to measure).");
        }

        if (MaxConcurrency < 2)
        {
            throw new TemConfigurationException($"ProviderLimitProbe.MaxConcurrency is {MaxConcurrency}; it must be at least 2.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MaxDuration);
        var client = new ProbeClient(_http, _createRequest, Budget, _time);
        var notes = new List<string>();
        var first = await client.SendAsync(timeout.Token).ConfigureAwait(false) ?? throw new InvalidOperationException("The budget allows no request.");
        if (!first.Succeeded && first.Refusal is null)
        {
            throw new TemException(first.Failed
                ? "The endpoint could not be reached. Check the URL and that the server is up."
                : $"The endpoint answered {(int)first.Status} to the probe request. Check the URL, the method, the headers (an API key?) and the body.");
        }

        FoundRate rate;
        (int? Limit, double Confidence) concurrency;
        if (!first.Limits.IsEmpty)
        {
            // Advertised: read the rates, then probe concurrency within what the bucket holds.
            rate = await RateProbe.ReadAsync(client, first, notes, timeout.Token).ConfigureAwait(false);
            concurrency = await ConcurrencyProbe.MeasureAsync(client, MaxConcurrency, rate, notes, timeout.Token).ConfigureAwait(false);
        }
        else
        {
            // Not advertised: concurrency first, on a fresh bucket; then bursts as wide as the provider allows, so
            // that a burst takes little time next to the waits between them.
            concurrency = await ConcurrencyProbe.MeasureAsync(client, MaxConcurrency, FoundRate.Unknown, notes, timeout.Token).ConfigureAwait(false);
            rate = await RateProbe.MeasureAsync(client, Math.Clamp(concurrency.Limit ?? 8, 2, 16), notes, timeout.Token).ConfigureAwait(false);
        }

        notes.Add(string.Create(CultureInfo.InvariantCulture, $"{client.Used} of {Budget} probe requests used in {client.Now:0.0} s."));
        return new DiscoveredLimits(rate.ToOptions(), concurrency.Limit, rate.RequestsPerSecond, rate.TokensPerSecond,
            Math.Min(rate.Confidence, concurrency.Confidence), notes, client.Used, rate.Advertised);
    }
}
