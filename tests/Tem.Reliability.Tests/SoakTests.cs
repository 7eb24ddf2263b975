using System.Diagnostics;
using Xunit;

namespace Tem.Reliability.Tests;

public class SoakTests(ITestOutputHelper output)
{
    private const int MaxAttempts = 3;

    private enum Fault
    {
        None,
        Transient,
        Permanent,
    }

    /// <summary>Deterministic per task: 5% fail their first attempt only, 1% fail every attempt.</summary>
    private static Fault FaultOf(int n) => ((uint)n * 2654435761u % 1000) switch
    {
        < 50 => Fault.Transient,
        < 60 => Fault.Permanent,
        _ => Fault.None,
    };

    [Fact]
    public async Task Soak_with_injected_faults_ends_with_exact_counts_and_flat_memory()
    {
        var full = Environment.GetEnvironmentVariable("TEM_FULL_RELIABILITY") == "1";
        var tasks = full ? 200_000 : 20_000;
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        long runs = 0;
        // What earlier tests in this process left behind (pooled buffers of the 10 MB test, for example) is
        // measured first and subtracted, so that the check below is about this engine's memory only.
        var before = ManagedMemoryAfterFullGc();
        await using var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = db,
            Concurrency = 100,
            DefaultMaxAttempts = MaxAttempts,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) },
        }, TemHandlerRegistry.Create(w => w.Register(Work.Type, async (p, context, cancellationToken) =>
        {
            Interlocked.Increment(ref runs);
            await Task.Delay(1, cancellationToken);
            return FaultOf(p.N) switch
            {
                Fault.Transient when context.Attempt == 1 => throw new TimeoutException($"transient fault of {p.N}"),
                Fault.Permanent => throw new InvalidOperationException($"permanent fault of {p.N} (attempt {context.Attempt})"),
                _ => new WorkResult(p.N, context.Attempt, 0),
            };
        })));
        var batch = await tem.Batches.CreateAsync("soak", "work");
        var clock = Stopwatch.StartNew();
        await tem.Tasks.EnqueueManyAsync(batch.Id, Work.Type, Enumerable.Range(0, tasks).Select(i => new WorkPayload(i)));
        await tem.Worker.StartAsync();

        await Poll.UntilAsync(() => tem.Batches.GetStatsAsync(batch.Id).GetAwaiter().GetResult() is var s && s.Completed + s.Failed >= tasks / 10,
            "the first 10% of the tasks", seconds: full ? 600 : 120, intervalMs: 50);
        var early = ManagedMemoryAfterFullGc() - before;
        var earlyAt = clock.Elapsed;
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(full ? 30 : 3)).Token);
        var elapsed = clock.Elapsed;
        var late = ManagedMemoryAfterFullGc() - before;

        var expected = Enumerable.Range(0, tasks).GroupBy(FaultOf).ToDictionary(g => g.Key, g => g.Count());
        var permanent = expected.GetValueOrDefault(Fault.Permanent);
        var transient = expected.GetValueOrDefault(Fault.Transient);
        Assert.Equal(new BatchStats(0, 0, tasks - permanent, permanent, 0), stats);
        Assert.Equal(tasks - permanent + transient + (long)permanent * MaxAttempts, Interlocked.Read(ref runs)); // no lost or doubled run

        // Every row: the status and attempt count its injected fault implies, and the error it last saw.
        var rows = Sql.Rows(db, "SELECT json_extract(payload, '$.N'), status, attempt, error FROM task;",
            r => (N: r.GetInt32(0), Status: r.GetString(1), Attempt: r.GetInt32(2), Error: r.IsDBNull(3) ? null : r.GetString(3)));
        Assert.Equal(tasks, rows.Count);
        foreach (var row in rows)
        {
            var want = FaultOf(row.N) switch
            {
                Fault.None => ("completed", 1, (string?)null),
                Fault.Transient => ("completed", 2, null),
                _ => ("failed", MaxAttempts, $"System.InvalidOperationException: permanent fault of {row.N} (attempt {MaxAttempts})"),
            };
            Assert.Equal(want, (row.Status, row.Attempt, row.Error));
        }

        // Managed memory does not grow with the number of tasks run.
        const long slack = 4 * 1024 * 1024;
        output.WriteLine($"{tasks} tasks ({transient} transient, {permanent} permanent faults), {runs} runs in {elapsed.TotalSeconds:0.0} s " +
                         $"({tasks / elapsed.TotalSeconds:0} tasks/s); managed memory after full GC: {early / 1024.0 / 1024:0.00} MB at {earlyAt.TotalSeconds:0.0} s (10%), " +
                         $"{late / 1024.0 / 1024:0.00} MB at the end (above the {before / 1024.0 / 1024:0.00} MB held before the engine opened)");
        // Both figures are relative to what the test process held before the engine opened, so either may be negative when
        // a full GC frees what earlier tests left: the growth is compared, with a share of the early figure only when positive.
        Assert.True(late - early <= Math.Max(early, 0) * 0.10 + slack, $"managed memory grew from {early:N0} to {late:N0} bytes");
        Assert.Equal("ok", Sql.IntegrityCheck(db));
    }

    private static long ManagedMemoryAfterFullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
