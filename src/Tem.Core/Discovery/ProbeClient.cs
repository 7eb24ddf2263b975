using System.Diagnostics;
using System.Net;
using Tem.Execution;

namespace Tem.Discovery;

/// <summary>One probe request's outcome.</summary>
internal readonly record struct ProbeAnswer(HttpStatusCode Status, ProviderRefusalKind? Refusal, AdvertisedLimits Limits, TimeSpan? RetryAfter, TimeSpan Latency, double SentAt, bool Failed)
{
    public bool Succeeded => !Failed && (int)Status is >= 200 and < 300;
}

/// <summary>Sends probe requests and counts them against the budget; it never sends one more.</summary>
internal sealed class ProbeClient(HttpClient http, Func<HttpRequestMessage> createRequest, int budget, TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private int _used;

    public int Used => Volatile.Read(ref _used);

    public int Left => budget - Used;

    public double Now => time.GetElapsedTime(_started).TotalSeconds;

    /// <summary>Sends one request if the budget allows; null when it does not.</summary>
    public async Task<ProbeAnswer?> SendAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _used) > budget)
        {
            Interlocked.Decrement(ref _used);
            return null;
        }

        var sentAt = Now;
        var clock = Stopwatch.StartNew();
        try
        {
            using var request = createRequest();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var body = (int)response.StatusCode is 429 or 503 ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
            var now = time.GetUtcNow();
            return new ProbeAnswer(response.StatusCode, ProviderRefusal.Classify(response.StatusCode, body), ProviderHeaders.Read(response.Headers, now),
                ProviderHeaders.RetryAfter(response.Headers, now), clock.Elapsed, sentAt, Failed: false);
        }
        catch (HttpRequestException)
        {
            return new ProbeAnswer(0, null, default, null, clock.Elapsed, sentAt, Failed: true);
        }
    }

    /// <summary>Sends <paramref name="count"/> requests at once (fewer if the budget is short).</summary>
    public async Task<ProbeAnswer[]> SendAtOnceAsync(int count, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => SendAsync(cancellationToken))).ConfigureAwait(false);
        return answers.Where(a => a is not null).Select(a => a!.Value).ToArray();
    }
}
