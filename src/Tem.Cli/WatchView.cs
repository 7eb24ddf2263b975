namespace Tem.Cli;

/// <summary>
/// `tem watch`: reads the batch every interval until nothing is left to run (or Ctrl-C), and shows it — a live screen
/// on a terminal (<see cref="WatchScreen"/>), one plain line per interval when output is redirected (<see cref="WatchLines"/>).
/// Rates and running averages cover the last <see cref="RateWindow"/>, so a pause or a retry-failed shows at once.
/// </summary>
internal static class WatchView
{
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(TemEngine tem, Batch batch, TimeSpan interval, bool live, CancellationToken cancellationToken)
    {
        var samples = ReadAsync(tem, batch.Id, interval, cancellationToken);
        try
        {
            var last = live ? await WatchScreen.ShowAsync(samples) : await WatchLines.WriteAsync(samples, Console.Out);
            if (last is not null)
            {
                Console.WriteLine($"{last.Batch.Code}: {BatchStatusText.Of(last.Batch, last.Stats)}.");
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: stop watching; the batch is not touched.
        }

        return 0;
    }

    private static async IAsyncEnumerable<WatchSample> ReadAsync(TemEngine tem, long batchId, TimeSpan interval,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<(long TaskId, int Attempt, DateTimeOffset At)>();
        var errorWindow = RateWindow; // errors of the last window first, then as they arrive
        while (true)
        {
            var at = DateTimeOffset.UtcNow;
            var batch = await tem.Batches.GetAsync(batchId, cancellationToken);
            var activity = await tem.Batches.GetActivityAsync(batchId, RateWindow, errorWindow, cancellationToken);
            var fresh = activity.RecentErrors.Where(e => seen.Add((e.TaskId, e.Attempt, e.At))).ToList();
            errorWindow = interval + TimeSpan.FromSeconds(2); // overlap: outcomes are written in groups, a little late
            var types = await tem.Batches.GetTypeStatsAsync(batchId, cancellationToken);
            var limits = await tem.ListSharedLimitsAsync(cancellationToken);
            var sample = new WatchSample(batch, activity, fresh, at)
            {
                RefusalsByType = types.ToDictionary(t => t.Type, t => t.RateLimitDeferrals, StringComparer.Ordinal),
                Limits = limits,
            };
            yield return sample;
            if (sample.IsFinished)
            {
                yield break;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }
}
