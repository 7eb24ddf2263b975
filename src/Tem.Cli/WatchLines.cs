using System.Globalization;

namespace Tem.Cli;

/// <summary>The redirected form of `tem watch`: one plain line per interval, for logs and CI.</summary>
internal static class WatchLines
{
    public static async Task<WatchSample?> WriteAsync(IAsyncEnumerable<WatchSample> samples, TextWriter output)
    {
        WatchSample? last = null;
        await foreach (var sample in samples)
        {
            output.WriteLine(Line(sample));
            output.Flush();
            last = sample;
        }

        return last;
    }

    public static string Line(WatchSample s)
    {
        var stats = s.Stats;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Durations.Format(s.Elapsed)} {Bar(s.Done, stats.Total)} {s.Done}/{stats.Total} ({stats.Failed} failed, {stats.Running} running, avg {s.Activity.AverageRunning:0.#}) " +
            $"{WatchSample.Rate(s.Activity.RatePerSecond)} over {WatchView.RateWindow.TotalSeconds:0} s, ETA {s.Eta}, {s.Refusals} refused");
        foreach (var limit in s.Limits)
        {
            line += "; " + s.Describe(limit);
        }

        return s.NewErrors.Count switch
        {
            0 => line,
            1 => $"{line}; new error: {WatchSample.Describe(s.NewErrors[0])}",
            _ => $"{line}; {s.NewErrors.Count} new errors, last: {WatchSample.Describe(s.NewErrors[^1])}",
        };
    }

    private static string Bar(long done, long total)
    {
        const int width = 20;
        var filled = total == 0 ? width : (int)(width * done / total);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }
}
