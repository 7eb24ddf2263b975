using System.Globalization;
using Tem.Execution;

namespace Tem.Discovery;

/// <summary>A rate limit found by reading or measuring: a bucket of requests (and tokens) and its refill rate.
/// <c>Level</c> at <c>LevelAt</c> (seconds of the probe's clock) is what the request bucket held then, as far as is known.</summary>
internal sealed record FoundRate(double? RequestsPerSecond, long? RequestBucket, double? TokensPerSecond, long? TokenBucket, double Confidence, bool Advertised,
    double Level = 0, double LevelAt = 0)
{
    /// <summary>Nothing known yet.</summary>
    public static readonly FoundRate Unknown = new(null, null, null, null, 0, Advertised: false);

    /// <summary>What the request bucket holds at <paramref name="now"/>, refilled since it was last known.</summary>
    public double LevelNow(double now) => RequestsPerSecond is > 0 and var perSecond && RequestBucket is { } size
        ? Math.Min(size, Level + (perSecond * (now - LevelAt)))
        : double.MaxValue;

    public RateLimitOptions ToOptions()
    {
        var options = new RateLimitOptions();
        if (Window(RequestsPerSecond, RequestBucket) is { } requests)
        {
            if (requests.Window == TimeSpan.FromSeconds(1))
            {
                options.PerSecond = requests.Permits;
            }
            else if (requests.Window == TimeSpan.FromMinutes(1))
            {
                options.PerMinute = requests.Permits;
            }
            else
            {
                options.Windows.Add(requests);
            }
        }

        if (Window(TokensPerSecond, TokenBucket) is { } tokens)
        {
            if (tokens.Window == TimeSpan.FromMinutes(1))
            {
                options.TokensPerMinute = tokens.Permits;
            }
            else
            {
                options.TokenWindows.Add(tokens);
            }
        }

        return options;
    }

    /// <summary>
    /// A sliding window no stricter than needed and never looser than the bucket: as many permits as refill in the
    /// window, over the bucket's own refill time, named a second or a minute when it is close to one.
    /// </summary>
    private static RateLimitWindow? Window(double? perSecond, long? bucket)
    {
        if (perSecond is not > 0 || bucket is not > 0)
        {
            return null;
        }

        var seconds = bucket.Value / perSecond.Value;
        var window = seconds is > 0.75 and < 1.34 ? TimeSpan.FromSeconds(1)
            : seconds is > 45 and < 80 ? TimeSpan.FromMinutes(1)
            : TimeSpan.FromSeconds(Math.Max(0.1, Math.Round(seconds, 1)));
        var permits = (int)Math.Max(1, Math.Min(int.MaxValue, Math.Floor(perSecond.Value * window.TotalSeconds)));
        return new RateLimitWindow(permits, window);
    }
}

/// <summary>Reads the advertised limits, or measures them with bursts and waits.</summary>
internal static class RateProbe
{
    /// <summary>The advertised limits of up to three responses: their refill rates as deficit ÷ time until full.</summary>
    public static async Task<FoundRate> ReadAsync(ProbeClient client, ProbeAnswer first, List<string> notes, CancellationToken cancellationToken)
    {
        var answers = new List<ProbeAnswer> { first };
        for (var i = 0; i < 2 && client.Left > 20; i++)
        {
            if (await client.SendAsync(cancellationToken).ConfigureAwait(false) is { } more)
            {
                answers.Add(more);
            }
        }

        var requests = Refill(answers.Select(a => a.Limits.Requests));
        var tokens = Refill(answers.Select(a => a.Limits.TightestTokens));
        var last = answers[^1];
        if (requests is { } r)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"The provider advertises {r.Limit} requests, refilled at {r.PerSecond:0.##}/s (full in {r.Limit / r.PerSecond:0.#} s)."));
        }

        if (tokens is { } t)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"The provider advertises {t.Limit} tokens, refilled at {t.PerSecond:0.##}/s (full in {t.Limit / t.PerSecond:0.#} s)."));
        }

        return new FoundRate(requests?.PerSecond, requests?.Limit, tokens?.PerSecond, tokens?.Limit, 0.9, Advertised: true,
            last.Limits.Requests?.Remaining ?? 0, client.Now);
    }

    /// <summary>
    /// The refill rate of one advertised limit. Both header styles give the time until the limit is full again, but
    /// what that time means depends on how the provider refills: a continuous bucket's reset grows with what is
    /// missing (rate = missing ÷ reset), a sliding window's stays about one window whatever is missing (rate = limit ÷
    /// reset). Successive answers tell them apart: when the missing count grows and the reset does not grow with it,
    /// the limit is a sliding window (issue 22: 20/s over a sliding window read as 2/s by the first rule).
    /// </summary>
    private static (long Limit, double PerSecond)? Refill(IEnumerable<AdvertisedLimit?> limits)
    {
        double missing = 0, seconds = 0;
        long limit = 0;
        var samples = new List<(long Missing, double Reset)>();
        foreach (var l in limits)
        {
            if (l is not { Limit: { } size } a)
            {
                continue;
            }

            limit = size;
            if (a.UntilFull is { } full && full > TimeSpan.Zero && size > a.Remaining)
            {
                missing += size - a.Remaining;
                seconds += full.TotalSeconds;
                samples.Add((size - a.Remaining, full.TotalSeconds));
            }
        }

        if (limit == 0)
        {
            return null;
        }

        if (samples.Count >= 2 && samples[^1].Missing > samples[0].Missing)
        {
            var missingGrowth = (double)samples[^1].Missing / samples[0].Missing;
            var resetGrowth = samples[^1].Reset / samples[0].Reset;
            if (resetGrowth < (1 + missingGrowth) / 2)
            {
                // The longest reset is the window less the age of the newest request counted in it: about the window.
                return (limit, limit / samples.Max(sample => sample.Reset));
            }
        }

        // Nothing missing yet: OpenAI and Anthropic state their limits per minute.
        return (limit, seconds > 0 ? missing / seconds : limit / 60.0);
    }

    /// <summary>Without headers: a burst until the first 429 (the bucket), then twice a wait and a burst (the refill).</summary>
    public static async Task<FoundRate> MeasureAsync(ProbeClient client, int parallel, List<string> notes, CancellationToken cancellationToken)
    {
        var burst = await BurstAsync(client, parallel, cancellationToken).ConfigureAwait(false);
        if (burst.Refusal is not { } refusal)
        {
            var seconds = Math.Max(client.Now, 0.001);
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"No limit headers, and no 429 in {burst.Successes} requests over {seconds:0.0} s: the rate limit is above {burst.Successes / seconds:0.#}/s, or its bucket holds more than the probe budget."));
            return new FoundRate(null, null, null, null, 0.2, Advertised: false);
        }

        var bucket = (long)burst.Successes;
        var rates = new List<double>();
        for (var i = 0; i < 2 && client.Left > 4; i++)
        {
            var wait = TimeSpan.FromSeconds(1);
            if (refusal.RetryAfter is { } advice && advice > wait && advice < TimeSpan.FromSeconds(10))
            {
                wait = advice;
            }

            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var next = await BurstAsync(client, parallel, cancellationToken).ConfigureAwait(false);
            if (next.Refusal is not { } nextRefusal)
            {
                break;
            }

            // Between two exhaustions a continuous bucket refilled exactly what was served in between; a sliding
            // window gave back its whole bucket during the wait, and the burst's own length only dilutes the figure.
            // Counting half the burst splits the difference: within a few percent of either when bursts are short.
            rates.Add(next.Successes / Math.Max(0.001, nextRefusal.SentAt - refusal.SentAt - (next.Length / 2)));
            bucket = Math.Max(bucket, next.Successes);
            refusal = nextRefusal;
        }

        if (rates.Count == 0)
        {
            notes.Add($"No limit headers; {bucket} requests were served before the first 429, but the budget or time ran out before the refill could be measured.");
            return new FoundRate(null, bucket, null, null, 0.3, Advertised: false);
        }

        var rate = rates.Average();
        var consistent = rates.Count > 1 && Math.Abs(rates[0] - rates[1]) < 0.2 * rate;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"No limit headers: {bucket} requests served before a 429, refilled at {rate:0.##}/s (measured {rates.Count} times{(consistent ? ", consistently" : "")})."));
        return new FoundRate(rate, bucket, null, null, consistent ? 0.7 : 0.5, Advertised: false, 0, refusal.SentAt);
    }

    private static async Task<(int Successes, ProbeAnswer? Refusal, double Length)> BurstAsync(ProbeClient client, int parallel, CancellationToken cancellationToken)
    {
        var gate = new object();
        ProbeAnswer? refusal = null;
        var served = new List<double>();
        var errors = 0;
        async Task LoopAsync()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                lock (gate)
                {
                    if (refusal is not null || errors > 5)
                    {
                        return;
                    }
                }

                ProbeAnswer? answer;
                try
                {
                    answer = await client.SendAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (answer is not { } a)
                {
                    return; // the budget is spent
                }

                lock (gate)
                {
                    if (a.Succeeded)
                    {
                        served.Add(a.SentAt);
                    }
                    else if (a.Refusal == ProviderRefusalKind.RateLimit)
                    {
                        refusal = refusal is { } r && r.SentAt <= a.SentAt ? r : a;
                    }
                    else if (a.Refusal is null)
                    {
                        errors++;
                    }
                }
            }
        }

        var startedAt = client.Now;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => LoopAsync())).ConfigureAwait(false);
        return refusal is { } first
            ? (served.Count(s => s < first.SentAt), refusal, Math.Max(0, first.SentAt - startedAt))
            : (served.Count, refusal, client.Now - startedAt);
    }
}
