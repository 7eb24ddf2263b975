using System.Globalization;

namespace Tem.Reliability.Tests;

/// <summary>One line of the test host's start log: a handler started, or refused with a Retry-After, at a wall-clock time.</summary>
public readonly record struct StartEntry(string Kind, long Microseconds, int Pid, long TaskId);

/// <summary>
/// The handler start times the test host logs (<c>TEM_HOST_STARTS</c>), from every process on one machine (one clock),
/// and the most starts that any sliding window of a given length holds, wherever it is placed.
/// </summary>
public sealed class StartLog
{
    private StartLog(IReadOnlyList<StartEntry> entries)
    {
        Starts = [.. entries.Where(e => e.Kind == "start").OrderBy(e => e.Microseconds)];
        Refusals = [.. entries.Where(e => e.Kind == "refused")];
    }

    /// <summary>Every handler start, earliest first.</summary>
    public IReadOnlyList<StartEntry> Starts { get; }

    public IReadOnlyList<StartEntry> Refusals { get; }

    /// <summary>From the first start to the last.</summary>
    public TimeSpan Span => Starts.Count < 2 ? TimeSpan.Zero : TimeSpan.FromTicks((Starts[^1].Microseconds - Starts[0].Microseconds) * 10);

    /// <summary>Starts per whole second from the first, for the test's output: "20 20 3 0 …".</summary>
    public string PerSecond() => string.Join(' ', Starts.GroupBy(s => (s.Microseconds - Starts[0].Microseconds) / 1_000_000)
        .Aggregate(new SortedDictionary<long, int>(), (d, g) => { d[g.Key] = g.Count(); return d; }) is var bySecond && bySecond.Count > 0
        ? Enumerable.Range(0, (int)bySecond.Keys.Max() + 1).Select(i => bySecond.GetValueOrDefault(i)) : []);

    /// <summary>The starts in the fullest window of <paramref name="window"/>, as "pid@ms-from-first", for a failure's message.</summary>
    public string DescribeFullest(TimeSpan window)
    {
        var (count, at) = MaxInAnyWindow(window);
        var from = Starts[0].Microseconds + (long)(at.TotalMilliseconds * 1000);
        return string.Join(' ', Starts.Where(s => s.Microseconds >= from).Take(count).Select(s => $"{s.Pid}@{(s.Microseconds - Starts[0].Microseconds) / 1000.0:0.0}"));
    }

    public static StartLog Read(string path) => new(File.ReadAllLines(path).Select(line => line.Split(' ')).Select(p => new StartEntry(
        p[0], long.Parse(p[1], CultureInfo.InvariantCulture), int.Parse(p[2], CultureInfo.InvariantCulture), long.Parse(p[3], CultureInfo.InvariantCulture))).ToList());

    /// <summary>
    /// The most starts inside any half-open window [t, t + <paramref name="window"/>): the fullest window can always be
    /// slid right until its left edge meets a start, so trying a window at every start finds it.
    /// </summary>
    public (int Count, TimeSpan At) MaxInAnyWindow(TimeSpan window)
    {
        var length = (long)(window.TotalMilliseconds * 1000);
        var best = (Count: 0, At: TimeSpan.Zero);
        var end = 0;
        for (var i = 0; i < Starts.Count; i++)
        {
            end = Math.Max(end, i);
            while (end < Starts.Count && Starts[end].Microseconds < Starts[i].Microseconds + length)
            {
                end++;
            }

            if (end - i > best.Count)
            {
                best = (end - i, TimeSpan.FromTicks((Starts[i].Microseconds - Starts[0].Microseconds) * 10));
            }
        }

        return best;
    }
}
