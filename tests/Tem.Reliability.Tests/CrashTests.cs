using System.Diagnostics;
using Xunit;

namespace Tem.Reliability.Tests;

public class CrashTests(ITestOutputHelper output)
{
    private const int Concurrency = 8;

    [Fact]
    public async Task Kill_9_at_random_moments_then_restart_loses_nothing_and_repeats_only_what_was_in_flight()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX signals");
        var full = Environment.GetEnvironmentVariable("TEM_FULL_RELIABILITY") == "1";
        var tasks = 5_000;
        var kills = full ? 25 : 10;
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var log = folder.File("side-effects.log");
        await Work.SeedAsync(db, tasks);
        var random = new Random(Environment.TickCount);
        var inFlightAtKill = new List<HashSet<long>>();
        var clock = Stopwatch.StartNew();
        string[] Args() => [db, log, "crash", Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), "10", "1500"];

        for (var k = 0; k < kills; k++)
        {
            using var host = HostProcess.Start(Args());
            await host.WaitStartedAsync();
            // Kill once the host is doing work, at a random moment into it.
            var linesBefore = Work.CountLines(log);
            await Poll.UntilAsync(() => Work.CountLines(log) > linesBefore || host.HasExited, "the host to start running tasks");
            await Task.Delay(random.Next(0, 300));
            Assert.False(host.HasExited, $"the batch finished before kill {k + 1}; make it longer.\n{host.Stdout}{host.Stderr}");
            host.Kill();
            var running = Sql.RunningIds(db);
            // A task whose handler finished but whose outcome was not yet committed is still running in the file
            // and runs again: the engine must count it against Concurrency, so a kill can repeat at most that many.
            Assert.True(running.Count <= Concurrency, $"{running.Count} tasks were running at kill {k + 1}; Concurrency is {Concurrency}");
            inFlightAtKill.Add(running);
        }

        using (var last = HostProcess.Start(Args()))
        {
            Assert.Equal(0, await last.WaitForExitAsync(180));
            Assert.Equal("", last.Stderr);
            Assert.Contains($"DONE pending=0 running=0 completed={tasks} failed=0", last.Stdout);
        }

        // Every task completed exactly once, with the result of a run that really happened.
        var rows = Sql.Rows(db, "SELECT id, status, result FROM task;", r => (Id: r.GetInt64(0), Status: r.GetString(1), Result: r.IsDBNull(2) ? null : r.GetString(2)));
        Assert.Equal(tasks, rows.Count);
        Assert.All(rows, r => Assert.Equal("completed", r.Status));
        var entries = Work.ReadLog(log);
        var runs = entries.ToHashSet();
        foreach (var row in rows)
        {
            var result = System.Text.Json.JsonSerializer.Deserialize(row.Result!, ReliabilityJson.Default.WorkResult)!;
            Assert.Contains((row.Id, result.Attempt, result.Pid), runs);
        }

        // Every id ran; an id ran again only if it was running at a kill, at most once more per such kill.
        var perId = entries.GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(rows.Select(r => r.Id).Order(), perId.Keys.Order());
        var repeated = perId.Where(p => p.Value > 1).ToList();
        foreach (var (id, count) in repeated)
        {
            var killsWhileRunning = inFlightAtKill.Count(set => set.Contains(id));
            Assert.True(count <= 1 + killsWhileRunning, $"task {id} ran {count} times but was running at only {killsWhileRunning} kills");
        }

        Assert.True(repeated.Count <= kills * Concurrency, $"{repeated.Count} tasks ran more than once; at most {kills * Concurrency} were in flight at the kills");
        Assert.Equal("ok", Sql.IntegrityCheck(db));
        output.WriteLine($"{kills} kills, {inFlightAtKill.Sum(s => s.Count)} tasks in flight at the kills, {repeated.Count} ids ran twice or more, " +
                         $"{entries.Count} handler runs for {tasks} tasks, {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
