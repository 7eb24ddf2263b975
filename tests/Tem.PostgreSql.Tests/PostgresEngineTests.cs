using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>Whole engines on PostgreSQL: a batch to its end, and engines that hear each other through LISTEN/NOTIFY.</summary>
public sealed class PostgresEngineTests(ITestOutputHelper output) : SchemaTest
{
    [Fact]
    public async Task A_batch_runs_to_completion_with_results_and_a_report()
    {
        var runs = new ConcurrentDictionary<int, int>();
        await using var tem = await Engines.OpenAsync(Schema, (job, _, _) =>
        {
            runs.AddOrUpdate(job.N, 1, (_, n) => n + 1);
            return ValueTask.FromResult(new JobResult(job.N * 2));
        }, poll: TimeSpan.FromMilliseconds(200));
        var batch = await tem.Batches.CreateAsync("run", "test");
        var ids = new List<long>();
        Assert.Equal(new EnqueueResult(300, 0), await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 300).Select(i => new Job(i))));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Engines.Timeout());
        Assert.Equal(new BatchStats(0, 0, 300, 0, 0), stats);
        Assert.Equal(300, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(BatchStatus.Completed, (await tem.Batches.GetAsync(batch.Id)).Status);
        var first = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
        Assert.Equal(new JobResult(0), await tem.Tasks.GetResultAsync(first.Id, Engines.Type));
        var report = await tem.Batches.GetReportAsync(batch.Id);
        Assert.Equal(300, report.Stats.Completed);
        Assert.NotNull(report.DurationP50);
        Assert.Contains("PostgreSQL 127.0.0.1", tem.DatabasePath);
    }

    [Fact]
    public async Task A_large_enqueue_leaves_statistics_that_count_its_rows()
    {
        // Statistics from before the enqueue made the planner expect a handful of pending rows and plan every claim as
        // "fetch all pending rows and sort them": 9-27 ms per claim at 40,000 rows, until autovacuum's analyze.
        await using var tem = await Engines.OpenAsync(Schema);
        var batch = await tem.Batches.CreateAsync("large", "test");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 20_000).Select(i => new Job(i)));
        var counted = Convert.ToDouble(await PostgresServer.ScalarAsync($"SELECT reltuples FROM pg_class WHERE oid = '{Schema}.task'::regclass;"),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(counted, 18_000, 22_000);
    }

    [Fact]
    public async Task Enqueues_in_small_calls_also_leave_statistics_that_count_their_rows()
    {
        await using var tem = await Engines.OpenAsync(Schema);
        var batch = await tem.Batches.CreateAsync("small-calls", "test");
        for (var call = 0; call < 5; call++)
        {
            await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(call * 1_000, 1_000).Select(i => new Job(i)));
        }

        var counted = Convert.ToDouble(await PostgresServer.ScalarAsync($"SELECT reltuples FROM pg_class WHERE oid = '{Schema}.task'::regclass;"),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(counted, 4_500, 5_500);
    }

    [Fact]
    public async Task A_task_enqueued_on_one_engine_starts_on_another_through_notify_not_polling()
    {
        var started = new ConcurrentDictionary<int, long>();
        var arrived = new SemaphoreSlim(0);
        await using var worker = await Engines.OpenAsync(Schema, (job, _, _) =>
        {
            started[job.N] = Stopwatch.GetTimestamp();
            arrived.Release();
            return ValueTask.FromResult(new JobResult(job.N));
        }); // polls every 30 s: only a notification can bring a task within the bound below
        await using var producer = await Engines.OpenAsync(Schema);
        var batch = await producer.Batches.CreateAsync("wake", "test");
        var signals = worker.EnableTestSignals();
        await worker.Worker.StartAsync();
        await signals.DispatcherIdle.WaitAsync(TimeSpan.FromSeconds(20)); // the worker's first claim found nothing and it now waits

        var latencies = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            await producer.Tasks.EnqueueAsync(batch.Id, Engines.Type, new Job(i));
            Assert.True(await arrived.WaitAsync(TimeSpan.FromSeconds(10)), $"Task {i} did not start on the other engine within 10 s (it polls every 30 s); {latencies.Count} had.");
            latencies.Add(Stopwatch.GetElapsedTime(sent, started[i]).TotalMilliseconds);
        }

        output.WriteLine($"cross-engine wake (enqueue returned → handler started), 30 tasks: p50 {Engines.Percentile(latencies, 0.5):0.0} ms, p99 {Engines.Percentile(latencies, 0.99):0.0} ms, max {latencies.Max():0.0} ms");
        // Generous for a loaded two-core CI machine; the benchmark records the real figure.
        Assert.True(Engines.Percentile(latencies, 0.5) < 2000, $"Median wake-up {Engines.Percentile(latencies, 0.5):0} ms.");
    }

    [Fact]
    public async Task A_cancel_on_one_engine_stops_the_handlers_of_another()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = await Engines.OpenAsync(Schema, async (job, _, cancellationToken) =>
        {
            running.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(2), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                stopped.TrySetResult(Stopwatch.GetTimestamp());
                throw;
            }

            return new JobResult(job.N);
        });
        await using var controller = await Engines.OpenAsync(Schema);
        var batch = await controller.Batches.CreateAsync("cancel", "test");
        await controller.Tasks.EnqueueAsync(batch.Id, Engines.Type, new Job(1));
        await worker.Worker.StartAsync();
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var sent = Stopwatch.GetTimestamp();
        Assert.Equal(1, await controller.Batches.CancelAsync(batch.Id));
        var at = await stopped.Task.WaitAsync(TimeSpan.FromSeconds(10)); // lease 30 s, poll 30 s: only the notification is this fast
        output.WriteLine($"cancel on engine A → handler on engine B cancelled: {Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds:0.0} ms");
        Assert.Equal(new BatchStats(0, 0, 0, 0, 1), await worker.WaitForBatchAsync(batch.Id, Engines.Timeout()));
    }

    [Fact]
    public async Task Waiting_on_a_batch_sees_another_engine_finish_it_without_polling()
    {
        await using var worker = await Engines.OpenAsync(Schema, (job, _, _) => ValueTask.FromResult(new JobResult(job.N)));
        await using var watcher = await Engines.OpenAsync(Schema);
        var batch = await watcher.Batches.CreateAsync("watch", "test");
        await watcher.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 20).Select(i => new Job(i)));
        var wait = watcher.WaitForBatchAsync(batch.Id, Engines.Timeout());
        await worker.Worker.StartAsync();
        var stats = await wait.WaitAsync(TimeSpan.FromSeconds(15)); // polls every 30 s
        Assert.Equal(20, stats.Completed);
    }
}
