using System.Diagnostics;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>Engines in separate processes (Tem.TestHost) on one PostgreSQL schema: one queue, no run doubled.</summary>
public sealed class MultiProcessTests(ITestOutputHelper output) : HostedSchemaTest("tem-pg-")
{
    [Fact]
    public async Task Two_processes_share_one_queue_and_run_every_task_exactly_once()
    {
        const int count = 3000;
        await SeedAsync("shared", count);
        var log = Path.Combine(Folder, "side-effects.log");
        await RunToTheEndAsync(log, count, processes: 2, concurrency: "16", TimeSpan.FromMinutes(3));

        var runs = File.ReadAllLines(log).Select(line => line.Split(' ')).ToList();
        var byTask = runs.GroupBy(r => r[0]).ToList();
        var byPid = runs.GroupBy(r => r[2]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{runs.Count} runs of {count} tasks; per process: {string.Join(", ", byPid.Values)}");
        Assert.Equal(count, byTask.Count);
        Assert.All(byTask, g => Assert.Single(g)); // no task ran twice: 0 double completions
        Assert.Equal(2, byPid.Count); // both processes took work
    }

    /// <summary>
    /// The scale check of issue 17: 4 processes drain 4 × 20,000 tasks from one schema. Every handler run appends
    /// "taskId attempt pid" to one O_APPEND log; every task must have run exactly once, every process must have taken
    /// a share, and the database must agree (all completed on their first attempt, no attempt history).
    /// </summary>
    [Fact]
    public async Task Four_processes_drain_80000_tasks_with_no_task_run_twice()
    {
        const int processes = 4;
        const int count = processes * 20_000;
        var batchId = await SeedAsync("scale", count);
        var log = Path.Combine(Folder, "side-effects.log");
        var started = Stopwatch.StartNew();
        // No handler delay: the claim and outcome statements of four processes contend as hard as they can.
        await RunToTheEndAsync(log, count, processes, concurrency: "32", TimeSpan.FromMinutes(4));

        var runs = File.ReadAllLines(log).Select(line => line.Split(' ')).ToList();
        var twice = runs.GroupBy(r => r[0]).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var byPid = runs.GroupBy(r => r[2]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{runs.Count} runs of {count} tasks in {started.Elapsed.TotalSeconds:0.0} s ({count / started.Elapsed.TotalSeconds:0} tasks/s); per process: {string.Join(", ", byPid.Values)}");
        Assert.True(twice.Count == 0, $"{twice.Count} tasks ran more than once, e.g. {string.Join(", ", twice.Take(10))}.");
        Assert.Equal(count, runs.Count);
        Assert.Equal(processes, byPid.Count); // every process took work
        Assert.Equal((long)count, await PostgresServer.ScalarAsync($"SELECT COUNT(*) FROM {Schema}.task WHERE batch_id = {batchId} AND status = 'completed' AND attempt = 1;"));
        Assert.Equal(0L, await PostgresServer.ScalarAsync($"SELECT COUNT(*) FROM {Schema}.task_attempt;"));
    }

    [Fact]
    public async Task A_process_killed_mid_run_loses_nothing_its_tasks_return_after_the_lease()
    {
        const int count = 1500;
        await SeedAsync("killed", count);
        var log = Path.Combine(Folder, "side-effects.log");
        var db = $"postgres:{Schema}:{PostgresServer.ConnectionString}";
        // 20 ms handlers and a 1.5 s lease: the victim holds runs in flight when it dies, and they come back quickly.
        var survivor = StartHost(db, log, "shared", "8", "20", "1500");
        var victim = StartHost(db, log, "shared", "8", "20", "1500");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CountRuns(log, victim.Id) < 100 && DateTime.UtcNow < deadline && !victim.HasExited)
            {
                await Task.Delay(20);
            }

            Assert.False(victim.HasExited, "The victim finished before it could be killed; make the batch larger.");
            victim.Kill();
            await victim.WaitForExitAsync();
            Assert.True(survivor.WaitForExit(TimeSpan.FromMinutes(3)), "The survivor did not finish the batch within 3 minutes.");
            var stdout = await survivor.StandardOutput.ReadToEndAsync();
            Assert.True(survivor.ExitCode == 0, $"Survivor exited {survivor.ExitCode}:\n{stdout}");
            Assert.Contains($"completed={count}", stdout);
        }
        finally
        {
            foreach (var host in new[] { survivor, victim }.Where(h => !h.HasExited))
            {
                host.Kill();
            }
        }

        var runs = File.ReadAllLines(log).Select(line => line.Split(' ')).ToList();
        var twice = runs.GroupBy(r => r[0]).Where(g => g.Count() > 1).ToList();
        output.WriteLine($"{runs.Count} runs of {count} tasks; {twice.Count} ran again after the kill");
        Assert.Equal(count, runs.Select(r => r[0]).Distinct().Count());
        // Only a run the victim had in flight may run again (at-least-once), and then on the survivor.
        Assert.All(twice, g => Assert.Contains(g, r => r[2] == victim.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.InRange(twice.Count, 0, 100);
    }

    /// <summary>Creates a batch of <paramref name="count"/> host tasks on the schema; returns its id.</summary>
    private async Task<long> SeedAsync(string code, int count)
    {
        await using var tem = await Engines.OpenAsync(Schema);
        var batch = await tem.Batches.CreateAsync(code, "test");
        await tem.Tasks.EnqueueManyAsync(batch.Id, HostWork.Type, Enumerable.Range(0, count).Select(i => new HostWork(i)));
        return batch.Id;
    }

    /// <summary>Runs <paramref name="processes"/> hosts with no handler delay on the schema until each has seen the whole batch completed.</summary>
    private async Task RunToTheEndAsync(string log, int count, int processes, string concurrency, TimeSpan limit)
    {
        var db = $"postgres:{Schema}:{PostgresServer.ConnectionString}";
        var hosts = Enumerable.Range(0, processes).Select(_ => StartHost(db, log, "shared", concurrency, "0", "30000")).ToList();
        try
        {
            foreach (var host in hosts)
            {
                Assert.True(host.WaitForExit(limit), $"A host did not finish the batch within {limit.TotalMinutes} minutes.");
                var stdout = await host.StandardOutput.ReadToEndAsync();
                Assert.True(host.ExitCode == 0, $"Host exited {host.ExitCode}:\n{stdout}\n{await host.StandardError.ReadToEndAsync()}");
                Assert.Contains($"completed={count}", stdout);
            }
        }
        finally
        {
            foreach (var host in hosts.Where(h => !h.HasExited))
            {
                host.Kill();
            }
        }
    }

    private static int CountRuns(string log, int pid)
    {
        try
        {
            var suffix = " " + pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return File.ReadLines(log).Count(l => l.EndsWith(suffix, StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Process StartHost(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(HostDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        return Process.Start(info)!;
    }

    /// <summary>The built test host, in the sibling output folder (same configuration and framework) of this test assembly.</summary>
    internal static string HostDll
    {
        get
        {
            var dir = AppContext.BaseDirectory.Replace($"{Path.DirectorySeparatorChar}Tem.PostgreSql.Tests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}Tem.TestHost{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
            var dll = Path.Combine(dir, "Tem.TestHost.dll");
            Assert.True(File.Exists(dll), $"The test host is not built at '{dll}'.");
            return dll;
        }
    }
}

/// <summary>The test host's "work" payload (same JSON shape as in Tem.TestHost).</summary>
public sealed record HostWork(int N)
{
    public static readonly TaskType<HostWork, HostWorkResult> Type = new("work", HostJson.Default.HostWork, HostJson.Default.HostWorkResult);
}

public sealed record HostWorkResult(int N, int Attempt, int Pid);

[System.Text.Json.Serialization.JsonSerializable(typeof(HostWork))]
[System.Text.Json.Serialization.JsonSerializable(typeof(HostWorkResult))]
internal sealed partial class HostJson : System.Text.Json.Serialization.JsonSerializerContext;
