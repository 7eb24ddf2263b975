using System.Globalization;

namespace Tem.Discovery;

/// <summary>Doubling bursts of simultaneous requests until the provider refuses some as too many at once.</summary>
internal static class ConcurrencyProbe
{
    public static async Task<(int? Limit, double Confidence)> MeasureAsync(ProbeClient client, int maxConcurrency, FoundRate rate, List<string> notes, CancellationToken cancellationToken)
    {
        var served = 1;
        for (var size = 2; ; size = Math.Min(maxConcurrency, size * 2))
        {
            if (client.Left < size)
            {
                notes.Add($"Concurrency: {served} at once were served; the budget ({client.Left} left) allows no burst of {size}.");
                return (null, 0.4);
            }

            // Wait until the rate limit's bucket has room for the whole burst, so a 429 does not hide the answer.
            if (rate.RequestBucket is { } bucket && size + 1 > bucket)
            {
                notes.Add($"Concurrency: {served} at once were served; a burst of {size} would exceed the rate limit's bucket of {bucket}.");
                return (null, 0.5);
            }

            if (rate.RequestsPerSecond is > 0 and var perSecond && rate.LevelNow(client.Now) is var level && level < size + 1)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, (size + 1 - level) / perSecond)), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return (null, 0.3);
                }
            }

            var before = rate.LevelNow(client.Now);
            var sentAt = client.Now;
            ProbeAnswer[] answers;
            try
            {
                answers = await client.SendAtOnceAsync(size, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return (null, 0.3);
            }

            // What the bucket holds now: as the provider says, or as counted.
            rate = answers.LastOrDefault(a => a.Limits.Requests is not null) is { Limits.Requests: { } advertised }
                ? rate with { Level = advertised.Remaining, LevelAt = client.Now }
                : rate with { Level = Math.Max(0, Math.Min(before, double.MaxValue / 2) - answers.Length), LevelAt = sentAt };

            var refusedAsConcurrent = answers.Count(a => a.Refusal == ProviderRefusalKind.Concurrency);
            var overloaded = answers.Count(a => a.Refusal == ProviderRefusalKind.Overload);
            if (refusedAsConcurrent > 0 || overloaded > 0)
            {
                var limit = Math.Max(1, answers.Length - refusedAsConcurrent - overloaded);
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Concurrency: of {answers.Length} requests at once, {refusedAsConcurrent + overloaded} were refused as too many ({(refusedAsConcurrent > 0 ? "naming concurrency" : "503/529 overload")}): at most {limit} at once."));
                return (limit, refusedAsConcurrent > 0 ? 0.8 : 0.6);
            }

            if (answers.Any(a => a.Refusal == ProviderRefusalKind.RateLimit))
            {
                notes.Add($"Concurrency: {served} at once were served; a burst of {size} ran into the rate limit before any concurrency limit.");
                return (null, 0.5);
            }

            served = Math.Max(served, answers.Count(a => a.Succeeded));
            if (size >= maxConcurrency)
            {
                notes.Add($"Concurrency: {served} at once were served, none refused (tried up to {maxConcurrency}).");
                return (null, 0.6);
            }
        }
    }
}
