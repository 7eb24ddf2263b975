using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Tem.Reliability.Tests;

public class SharedFileTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Eight_processes_opening_one_new_file_at_once_all_open_it()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX processes");
        // Before the schema check read its two facts in one statement, 3 of 40 such opens failed with "holds tables
        // but no Tem schema": a process saw version 0, then the tables another process had just committed.
        var failures = new List<string>();
        for (var round = 0; round < 5; round++)
        {
            using var folder = new TempFolder();
            var db = folder.File("tem.db");
            var hosts = Enumerable.Range(0, 8).Select(_ => HostProcess.Start([db, folder.File("unused.log"), "open-on-go"])).ToList();
            try
            {
                foreach (var host in hosts)
                {
                    await host.WaitReadyAsync(120);
                }

                hosts.ForEach(h => h.SendLine("go")); // every host is blocked on stdin: they open within a few ms of each other
                foreach (var host in hosts)
                {
                    var code = await host.WaitForExitAsync(120);
                    if (code != 0 || !host.Stdout.Contains("OPENED", StringComparison.Ordinal))
                    {
                        failures.Add($"host {host.Id} exited {code}: {host.Stdout.Trim()} {host.Stderr.Trim()}");
                    }
                }
            }
            finally
            {
                hosts.ForEach(h => h.Dispose());
            }

            Assert.Equal(8L, Sql.Rows(db, "SELECT COUNT(*) FROM batch;", r => r.GetInt64(0)).Single());
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 40 opens failed:\n{string.Join("\n", failures.Take(3))}");
    }

    [Fact]
    public async Task Four_processes_on_one_file_complete_each_task_once_without_lock_errors()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX processes");
        var full = Environment.GetEnvironmentVariable("TEM_FULL_RELIABILITY") == "1";
        var tasks = full ? 20_000 : 6_000;
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var log = folder.File("side-effects.log");
        var batchId = await Work.SeedAsync(db, tasks);
        var clock = Stopwatch.StartNew();

        // A 5 s lease: four processes on one file queue for its one write lock, and on a loaded 2-core machine a
        // process waited over 2 s for it (with a 2 s lease that tripped LeaseGuard, which pauses claims and logs an
        // error, in 2 of 6 runs at load 7). An expired lease's extra run is still accounted for below.
        var hosts = Enumerable.Range(0, 4).Select(_ => HostProcess.Start([db, log, "shared", "8", "2", "5000"])).ToList();
        var dropped = new List<long>();
        try
        {
            foreach (var host in hosts)
            {
                var code = await host.WaitForExitAsync(300);
                Assert.True(code == 0, $"host {host.Id} exited {code}\nstdout:\n{host.Stdout}\nstderr:\n{host.Stderr}");
                Assert.Equal("", host.Stderr);
                Assert.DoesNotContain("database is locked", host.Stdout, StringComparison.OrdinalIgnoreCase);
                // No failed claim, write or lease upkeep, and no pause for a silent database.
                var errors = host.Stdout.Split('\n').Where(l => l.StartsWith("LOG Error", StringComparison.Ordinal)).ToList();
                Assert.True(errors.Count == 0, $"host {host.Id}:\n{string.Join("\n", errors.Take(3))}");
                Assert.Contains($"DONE pending=0 running=0 completed={tasks} failed=0", host.Stdout);
                foreach (var line in host.Stdout.Split('\n').Where(l => l.StartsWith("LOG Warning", StringComparison.Ordinal)))
                {
                    // The only warning allowed: a late outcome refused because the task's lease had expired and it ran elsewhere.
                    var match = System.Text.RegularExpressions.Regex.Match(line, @"^LOG Warning Dropped the outcome Completed of task (\d+):");
                    Assert.True(match.Success, $"unexpected warning from host {host.Id}: {line}");
                    dropped.Add(long.Parse(match.Groups[1].Value));
                }
            }
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }

        await using (var tem = TemEngine.Open(new TemOptions { DatabasePath = db }))
        {
            var stats = await tem.Batches.GetStatsAsync(batchId);
            Assert.Equal(new BatchStats(0, 0, tasks, 0, 0), stats);
            Assert.Equal(tasks, stats.Total);
            Assert.Equal(BatchStatus.Completed, (await tem.Batches.GetAsync(batchId)).Status);
        }

        // No task was completed by two owners. A task runs twice only when its lease expired (a starved renewal)
        // and another process took it over; then the first run's outcome must have been refused, one refusal per
        // extra run, and the stored result must come from the last claim (its attempt is the row's attempt).
        var entries = Work.ReadLog(log);
        var runs = entries.ToHashSet();
        var extraRuns = entries.GroupBy(e => e.Id).Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => g.Count() - 1);
        var refusals = dropped.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(extraRuns.OrderBy(p => p.Key), refusals.OrderBy(p => p.Key));
        var rows = Sql.Rows(db, "SELECT id, attempt, result FROM task;", r => (Id: r.GetInt64(0), Attempt: r.GetInt32(1), Result: System.Text.Json.JsonSerializer.Deserialize(r.GetString(2), ReliabilityJson.Default.WorkResult)!));
        Assert.Equal(tasks, entries.Select(e => e.Id).Distinct().Count());
        Assert.All(rows, r =>
        {
            Assert.Equal(r.Attempt, r.Result.Attempt);
            Assert.Contains((r.Id, r.Result.Attempt, r.Result.Pid), runs);
        });
        var perProcess = entries.GroupBy(e => e.Pid).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(perProcess.Count >= 2, $"only {perProcess.Count} process did any work");
        Assert.Equal("ok", Sql.IntegrityCheck(db));
        output.WriteLine($"{tasks} tasks by 4 processes in {clock.Elapsed.TotalSeconds:0.0} s; runs per process: {string.Join(", ", perProcess.Values)}; " +
                         $"{extraRuns.Values.Sum()} extra runs after expired leases, all refused at write");
    }

    [Fact]
    public async Task A_stopped_process_loses_its_tasks_when_the_lease_expires_and_its_late_results_are_dropped()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "needs SIGSTOP/SIGCONT through kill(1)");
        const int tasks = 12;
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var log = folder.File("side-effects.log");
        var batchId = await Work.SeedAsync(db, tasks);

        // The first process claims every task; its handlers take 3 s, its lease is 1 s.
        using var first = HostProcess.Start([db, log, "shared", "12", "3000", "1000"]);
        await first.WaitStartedAsync();
        await Poll.UntilAsync(() => Work.CountLines(log) == tasks, "the first process to start every task");
        Assert.All(Sql.Rows(db, "SELECT status, lease_owner FROM task;", r => (r.GetString(0), r.GetString(1))), r =>
        {
            Assert.Equal("running", r.Item1);
            Assert.Contains($":{first.Id}:", r.Item2);
        });

        // Freeze it. A process frozen inside a write transaction would block every writer (that is SQLite, not Tem),
        // so freeze it again until it is caught outside one.
        await FreezeOutsideWriteAsync(first, db);

        // The second process waits for the lease to expire, recovers the tasks and completes them.
        using (var second = HostProcess.Start([db, log, "shared", "12", "10", "1000"]))
        {
            var code = await second.WaitForExitAsync(60);
            Assert.True(code == 0, $"second host exited {code}\n{second.Stdout}\n{second.Stderr}");
            Assert.Contains($"DONE pending=0 running=0 completed={tasks} failed=0", second.Stdout);
            Assert.False(first.HasExited);
            var results = Sql.Rows(db, "SELECT result FROM task;", r => System.Text.Json.JsonSerializer.Deserialize(r.GetString(0), ReliabilityJson.Default.WorkResult)!);
            Assert.All(results, r => Assert.Equal((second.Id, 2), (r.Pid, r.Attempt)));

            // Thaw the first: its handlers finish, and every late result is refused by the version check.
            first.Signal("CONT");
            Assert.Equal(0, await first.WaitForExitAsync(60));
            Assert.Equal("", first.Stderr);
            var dropped = first.Stdout.Split('\n').Count(l => l.StartsWith("LOG Warning Dropped the outcome Completed of task ", StringComparison.Ordinal));
            Assert.True(dropped == tasks, $"expected {tasks} dropped outcomes, saw {dropped}:\n{first.Stdout}");

            var after = Sql.Rows(db, "SELECT status, result, attempt FROM task;", r => (Status: r.GetString(0), Result: System.Text.Json.JsonSerializer.Deserialize(r.GetString(1), ReliabilityJson.Default.WorkResult)!, Attempt: r.GetInt32(2)));
            Assert.All(after, r =>
            {
                Assert.Equal("completed", r.Status);
                Assert.Equal(second.Id, r.Result.Pid); // the second process's result stayed
                Assert.Equal(2, r.Attempt);
            });
        }

        Assert.Equal(2 * tasks, Work.ReadLog(log).Count);
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = db });
        Assert.Equal(new BatchStats(0, 0, tasks, 0, 0), await tem.Batches.GetStatsAsync(batchId));
    }

    private static async Task FreezeOutsideWriteAsync(HostProcess process, string db)
    {
        for (var tries = 0; tries < 50; tries++)
        {
            process.Signal("STOP");
            try
            {
                using var connection = Sql.Connect(db, busyTimeoutSeconds: 0);
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout = 200; BEGIN IMMEDIATE; ROLLBACK;";
                command.ExecuteNonQuery();
                return;
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 5)
            {
                process.Signal("CONT");
                await Task.Delay(30);
            }
        }

        Assert.Fail("could not freeze the process outside a write transaction");
    }
}
