using Xunit;

namespace Tem.Core.Tests;

public class InterruptionTests
{
    /// <summary>Tasks whose N is in <paramref name="failing"/> fail permanently; the others succeed.</summary>
    /// <remarks>Criteria are judged as each group of outcomes commits, so a trip can come a few outcomes after the
    /// threshold; the handlers take a few milliseconds so that groups stay small and the tests can be exact enough.</remarks>
    private static ITemHandlerRegistry FailWhen(Func<int, bool> failing) => TemHandlerRegistry.Create(w => w.Register(Types.Echo, async (p, _, ct) =>
    {
        await Task.Delay(3, ct);
        return failing(p.N) ? throw new NonRetryableException($"bad {p.N}") : new EchoResult(p.N, "");
    }));

    private static async Task<(TemEngine Tem, Batch Batch)> RunAsync(TempDatabase db, InterruptionCriteria criteria, ITemHandlerRegistry registry, int tasks)
    {
        var tem = db.Open(o => o.Concurrency = 1, registry);
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: criteria);
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(tasks));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        return (tem, batch);
    }

    [Fact]
    public async Task Max_consecutive_failures_interrupts_and_records_the_stats()
    {
        using var db = new TempDatabase();
        // 0..9 succeed, then everything fails: the 3rd failure in a row trips MaxConsecutiveFailures = 3.
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxConsecutiveFailures = 3 }, FailWhen(n => n >= 10), 100);
        await using (tem)
        {
            Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
            var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
            var row = System.Text.RegularExpressions.Regex.Match(record.Reason, "^(\\d+) tasks failed in a row, reaching MaxConsecutiveFailures = 3\\.$");
            Assert.True(row.Success, record.Reason);
            var failedInRow = int.Parse(row.Groups[1].Value);
            Assert.InRange(failedInRow, 3, 20);
            Assert.Equal(10, record.Stats.Completed);
            Assert.Equal(failedInRow, record.Stats.Failed);
            var stats = await tem.Batches.GetStatsAsync(batch.Id);
            // Pending tasks are no longer claimed; only one claimed before the trip was written may have run on.
            Assert.InRange(stats.Pending, 100 - 10 - failedInRow - 1, 100 - 10 - failedInRow);
            Assert.Equal(0, stats.Running);
        }
    }

    [Fact]
    public async Task Max_failed_tasks_interrupts()
    {
        using var db = new TempDatabase();
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxFailedTasks = 2 }, FailWhen(n => n % 5 == 0), 40);
        await using (tem)
        {
            var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
            Assert.Equal("2 tasks failed, reaching MaxFailedTasks = 2.", record.Reason);
            Assert.Equal(2, (await tem.Batches.GetStatsAsync(batch.Id)).Failed);
        }
    }

    [Fact]
    public async Task Max_error_rate_waits_for_the_minimum_sample_then_interrupts()
    {
        using var db = new TempDatabase();
        // Every second task fails: 50% > 30%, judged once 10 have ended.
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxErrorRate = 0.3, MinTasksForErrorRate = 10 }, FailWhen(n => n % 2 == 1), 100);
        await using (tem)
        {
            var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
            // Judged per committed group of outcomes, so the trip comes at the 10th or a few later.
            Assert.Matches(@"^Error rate \d+\.\d% \((\d+) of (1\d) ended tasks failed\) exceeds MaxErrorRate = 30\.0%", record.Reason);
            Assert.InRange(record.Stats.Completed + record.Stats.Failed, 10, 19);
            Assert.True((await tem.Batches.GetStatsAsync(batch.Id)).Pending > 50);
        }
    }

    [Theory]
    [InlineData(2, BatchStatus.Completed)] // two failures do not reach MaxFailedTasks = 3
    [InlineData(3, BatchStatus.Interrupted)] // the third does
    public async Task Max_failed_tasks_trips_at_the_limit(int failures, BatchStatus expected)
    {
        using var db = new TempDatabase();
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxFailedTasks = 3 }, FailWhen(n => n < failures), 5);
        await using (tem)
        {
            Assert.Equal(expected, (await tem.Batches.GetAsync(batch.Id)).Status);
        }
    }

    [Fact]
    public async Task A_batch_smaller_than_the_error_rate_sample_is_judged_when_all_its_tasks_ended()
    {
        using var db = new TempDatabase();
        // MinTasksForErrorRate stays at 20, but the batch has only 10 tasks, and all of them fail.
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxErrorRate = 0.5 }, FailWhen(_ => true), 10);
        await using (tem)
        {
            Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
            var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
            Assert.StartsWith("Error rate 100.0% (10 of 10 ended tasks failed)", record.Reason);
        }
    }

    [Fact]
    public async Task Max_runtime_interrupts_a_batch_that_runs_too_long()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => { o.Concurrency = 1; o.LeaseDuration = TimeSpan.FromMilliseconds(300); }, TemHandlerRegistry.Create(w =>
            w.Register(Types.Echo, async (p, _, ct) =>
            {
                await Task.Delay(50, ct);
                return new EchoResult(p.N, "");
            })));
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: new InterruptionCriteria { MaxRuntime = TimeSpan.FromMilliseconds(400) });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(200));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        Assert.True(stats.Pending > 100, $"pending {stats.Pending}");
        var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        Assert.Contains("longer than MaxRuntime = 0.4 s", record.Reason);
    }

    [Fact]
    public async Task Resume_after_an_interruption_restarts_the_counters_and_finishes()
    {
        using var db = new TempDatabase();
        var broken = true;
        var registry = TemHandlerRegistry.Create(w => w.Register(Types.Echo, (p, _, _) =>
            Volatile.Read(ref broken) && p.N >= 5 ? throw new NonRetryableException("outage") : ValueTask.FromResult(new EchoResult(p.N, ""))));
        var (tem, batch) = await RunAsync(db, new InterruptionCriteria { MaxConsecutiveFailures = 2 }, registry, 30);
        await using (tem)
        {
            Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
            Volatile.Write(ref broken, false);
            await tem.Batches.RetryFailedAsync(batch.Id);
            var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
            Assert.Equal(new BatchStats(0, 0, 30, 0, 0), stats);
            Assert.Equal(BatchStatus.Completed, (await tem.Batches.GetAsync(batch.Id)).Status);
        }
    }
}
