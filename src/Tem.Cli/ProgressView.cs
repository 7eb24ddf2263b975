using System.Diagnostics;
using System.Globalization;

namespace Tem.Cli;

/// <summary>
/// The `watch` view: a progress bar redrawn in place on a terminal, or one line per interval when
/// output is redirected. Ends when the batch has nothing left to run, or on Ctrl-C.
/// </summary>
internal static class ProgressView
{
    public static async Task<int> RunAsync(TemEngine tem, Batch batch, TimeSpan interval, CancellationToken cancellationToken)
    {
        var interactive = !Console.IsOutputRedirected;
        var clock = Stopwatch.StartNew();
        long? startDone = null;
        try
        {
            while (true)
            {
                var stats = await tem.Batches.GetStatsAsync(batch.Id, cancellationToken);
                var status = (await tem.Batches.GetAsync(batch.Id, cancellationToken)).Status;
                var done = stats.Completed + stats.Failed + stats.Cancelled;
                startDone ??= done;
                var rate = clock.Elapsed.TotalSeconds > 0.5 ? (done - startDone.Value) / clock.Elapsed.TotalSeconds : 0;
                var left = stats.Pending + stats.Running;
                var eta = rate > 0 ? Durations.Format(TimeSpan.FromSeconds(left / rate)) : "?";
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{Bar(done, stats.Total)} {done}/{stats.Total} ({stats.Failed} failed, {stats.Running} running) {rate:0.#}/s ETA {eta}");
                var finished = stats.Running == 0 && (left == 0 || status is BatchStatus.Interrupted or BatchStatus.Cancelled);
                if (interactive)
                {
                    Console.Write("\r" + line.PadRight(Math.Max(0, Console.BufferWidth - 1)));
                }
                else
                {
                    Console.WriteLine(line);
                }

                if (finished)
                {
                    if (interactive) Console.WriteLine();
                    Console.WriteLine($"{batch.Code}: {status.ToString().ToLowerInvariant()}.");
                    return 0;
                }

                await Task.Delay(interval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            if (interactive) Console.WriteLine();
            return 0; // Ctrl-C: stop watching; the batch is not touched
        }
    }

    private static string Bar(long done, long total)
    {
        const int width = 30;
        var filled = total == 0 ? width : (int)(width * done / total);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }
}
