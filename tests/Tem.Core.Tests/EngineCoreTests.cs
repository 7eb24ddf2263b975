using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>The engine core's promises under stress: outcomes never lost, stops and starts that cannot race, wake-ups on time.</summary>
public class EngineCoreTests
{
    private static ITemHandlerRegistry Echo(Func<EchoPayload, TaskContext, CancellationToken, ValueTask<EchoResult>> handler) => Types.EchoRegistry(handler);

    [Fact]
    public async Task Outcomes_survive_another_connection_holding_the_write_lock_past_BusyTimeout()
    {
        using var db = new TempDatabase();
        var logger = new RecordingLogger();
        var runs = new ConcurrentDictionary<int, int>();
        var holdLock = new TaskCompletionSource();
        await using var tem = db.Open(o =>
        {
            o.BusyTimeout = TimeSpan.FromSeconds(1);
            o.Logger = logger;
        }, Echo(async (p, _, ct) =>
        {
            runs.AddOrUpdate(p.N, 1, (_, n) => n + 1);
            if (p.N == 50)
            {
                holdLock.TrySetResult();
            }

            await Task.Delay(2, ct);
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3000));
        await tem.Worker.StartAsync();

        await holdLock.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using (var other = new SqliteConnection($"Data Source={db.Path};Pooling=False"))
        {
            other.Open();
            using var exclusive = other.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            exclusive.ExecuteNonQuery();
            await Task.Delay(TimeSpan.FromSeconds(3.2)); // over 3 × BusyTimeout
            exclusive.CommandText = "COMMIT;";
            exclusive.ExecuteNonQuery();
        }

        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout(60));
        Assert.Equal(new BatchStats(0, 0, 3000, 0, 0), stats);
        Assert.Equal(3000, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value)); // every side effect happened once
        Assert.True(logger.Said("Could not write"), "the lock should have refused at least one outcome write");
    }

    [Fact]
    public async Task Overlapping_stop_and_dispose_share_one_stop_and_leave_nothing_running()
    {
        using var db = new TempDatabase();
        var release = new TaskCompletionSource();
        var entered = 0;
        var tem = db.Open(o => o.Concurrency = 4, Echo(async (p, _, _) =>
        {
            Interlocked.Increment(ref entered);
            await release.Task;
            return new EchoResult(p.N, "done");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(4));
        await tem.Worker.StartAsync();
        await Types.Eventually(() => Task.FromResult(Volatile.Read(ref entered) == 4), "four handlers running");

        var stop = tem.Worker.StopAsync(TimeSpan.FromSeconds(30));
        var dispose = tem.DisposeAsync().AsTask();
        var second = tem.DisposeAsync().AsTask();
        await Task.Delay(100);
        Assert.False(stop.IsCompleted || dispose.IsCompleted || second.IsCompleted, "a stop returned while its handlers still ran");
        release.SetResult();
        await Task.WhenAll(stop, dispose, second).WaitAsync(TimeSpan.FromSeconds(30));

        await using var reopened = db.Open();
        Assert.Equal(new BatchStats(0, 0, 4, 0, 0), await reopened.Batches.GetStatsAsync(batch.Id));
    }

    [Fact]
    public async Task A_stop_in_a_busy_run_leaves_no_task_claimed_and_never_started()
    {
        // The outcome writer claims the next tasks in its own transaction; a stop must see them as running handlers
        // (and wait for them) or they would stay 'running' in the file until their lease ran out.
        using var db = new TempDatabase();
        var runs = new ConcurrentDictionary<int, int>();
        await using var tem = db.Open(o => o.Concurrency = 16, Echo((p, _, _) =>
        {
            runs.AddOrUpdate(p.N, 1, (_, n) => n + 1);
            return ValueTask.FromResult(new EchoResult(p.N, ""));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(20_000));
        for (var i = 0; i < 25; i++)
        {
            var before = runs.Count;
            await tem.Worker.StartAsync();
            await Types.Eventually(() => Task.FromResult(runs.Count > before + 50), "the worker ran tasks");
            await tem.Worker.StopAsync(TimeSpan.FromSeconds(30));
            var stats = await tem.Batches.GetStatsAsync(batch.Id);
            Assert.True(stats.Running == 0, $"stop {i} left {stats.Running} tasks running");
            Assert.Equal(runs.Count, stats.Completed);
        }

        Assert.All(runs, r => Assert.Equal(1, r.Value));
    }

    [Fact]
    public async Task Stop_racing_start_never_hangs_and_the_last_start_runs()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, ""))));
        var batch = await tem.Batches.CreateAsync("b", "t");
        for (var i = 0; i < 30; i++)
        {
            var start = tem.Worker.StartAsync();
            var stop = tem.Worker.StopAsync(TimeSpan.FromSeconds(5));
            var again = tem.Worker.StartAsync();
            await Task.WhenAll(start, stop, again).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(tem.Worker.IsRunning);
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(20));
        Assert.Equal(20, (await tem.WaitForBatchAsync(batch.Id, Types.Timeout())).Completed);
        await tem.Worker.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(tem.Worker.IsRunning);
    }

    [Fact]
    public async Task A_handler_that_blocks_its_thread_past_a_hard_stop_does_not_hang_the_stop()
    {
        using var db = new TempDatabase();
        using var unblock = new ManualResetEventSlim();
        var entered = new TaskCompletionSource();
        var tem = db.Open(registry: Echo((p, _, _) =>
        {
            entered.TrySetResult();
            unblock.Wait(TimeSpan.FromSeconds(60)); // ignores its token and blocks before returning a task
            return ValueTask.FromResult(new EchoResult(p.N, ""));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await tem.Worker.StartAsync();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await tem.Worker.StopAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(TimeSpan.FromSeconds(40));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the stop took {clock.Elapsed}");
        unblock.Set();
        await tem.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_a_batch_while_its_runs_end_never_throws_and_is_not_a_timeout()
    {
        using var db = new TempDatabase();
        var logger = new RecordingLogger();
        await using var tem = db.Open(o =>
        {
            o.Concurrency = 16;
            o.Logger = logger;
        }, Echo(async (p, _, ct) =>
        {
            await Task.Delay(p.N % 3, ct);
            return new EchoResult(p.N, "");
        }));
        for (var round = 0; round < 5; round++)
        {
            var batch = await tem.Batches.CreateAsync($"b{round}", "t");
            await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(400));
            await tem.Worker.StartAsync();
            await Types.Eventually(async () => (await tem.Batches.GetStatsAsync(batch.Id)).Completed > 20, "some tasks done");
            await tem.Batches.CancelAsync(batch.Id); // must not throw, however the cancel meets ending runs
            var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
            Assert.Equal(0, stats.Running + stats.Pending);
        }

        var tasks = await tem.Tasks.ListAsync(new TaskQuery { Status = TemTaskStatus.Cancelled, Limit = 10_000 });
        Assert.All(tasks, t => Assert.Null(t.Error));
        Assert.False(logger.Said("Timed out"));
    }

    [Fact]
    public async Task Every_delayed_task_wakes_the_worker_at_its_own_time()
    {
        using var db = new TempDatabase();
        var started = new ConcurrentDictionary<int, TimeSpan>();
        var clock = Stopwatch.StartNew();
        await using var tem = db.Open(o => o.PollInterval = TimeSpan.FromSeconds(30), Echo((p, _, _) =>
        {
            started[p.N] = clock.Elapsed;
            return ValueTask.FromResult(new EchoResult(p.N, ""));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Worker.StartAsync();
        clock.Restart();
        int[] delays = [300, 600, 900, 1200];
        foreach (var ms in delays)
        {
            await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(ms), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(ms) });
        }

        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        foreach (var ms in delays)
        {
            // Generous for a loaded machine, and far below the 30 s poll that would otherwise find them.
            Assert.InRange(started[ms].TotalMilliseconds, ms - 5, ms + 3000);
        }
    }

    [Fact]
    public async Task Retries_run_after_their_backoff_not_after_the_poll()
    {
        using var db = new TempDatabase();
        var attempts = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        await using var tem = db.Open(o =>
        {
            o.PollInterval = TimeSpan.FromSeconds(30);
            o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(100), JitterFraction = 0 };
        }, Echo((p, context, _) =>
        {
            attempts.Enqueue(clock.Elapsed);
            return context.Attempt < 3 ? throw new InvalidOperationException("flaky") : ValueTask.FromResult(new EchoResult(p.N, ""));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        foreach (var n in Enumerable.Range(0, 5))
        {
            await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(n), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(50 * n) });
        }

        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(5, stats.Completed);
        Assert.Equal(15, attempts.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"15 runs with 100 ms backoffs took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_large_enqueue_runs_the_callers_code_outside_every_transaction_and_is_all_or_nothing()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, ""))));
        var busy = await tem.Batches.CreateAsync("busy", "t");
        var bulk = await tem.Batches.CreateAsync("bulk", "t");
        await tem.Worker.StartAsync();
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();

        IEnumerable<EchoPayload> Slow()
        {
            foreach (var payload in Types.Payloads(3 * TaskService.ChunkSize))
            {
                if (payload.N == 2 * TaskService.ChunkSize + 10)
                {
                    paused.Set();
                    resume.Wait(TimeSpan.FromSeconds(60)); // the caller's code takes its time mid-enqueue
                }

                yield return payload;
            }
        }

        var enqueue = Task.Run(() => tem.Tasks.EnqueueManyAsync(bulk.Id, Types.Echo, Slow()));
        paused.Wait(TimeSpan.FromSeconds(30));
        // Meanwhile the worker claims and writes for another batch, and the staged rows are invisible.
        await tem.Tasks.EnqueueManyAsync(busy.Id, Types.Echo, Types.Payloads(50));
        Assert.Equal(50, (await tem.WaitForBatchAsync(busy.Id, Types.Timeout())).Completed);
        Assert.Equal(new BatchStats(0, 0, 0, 0, 0), await tem.Batches.GetStatsAsync(bulk.Id));
        resume.Set();
        Assert.Equal(new EnqueueResult(3 * TaskService.ChunkSize, 0), await enqueue);
        Assert.Equal(3 * TaskService.ChunkSize, (await tem.WaitForBatchAsync(bulk.Id, Types.Timeout(60))).Completed);

        // A caller's exception after several chunks leaves nothing behind.
        IEnumerable<EchoPayload> Failing()
        {
            foreach (var payload in Types.Payloads(3 * TaskService.ChunkSize))
            {
                yield return payload.N == 2 * TaskService.ChunkSize + 1 ? throw new InvalidOperationException("source broke") : payload;
            }
        }

        var failed = await tem.Batches.CreateAsync("failed", "t");
        await Assert.ThrowsAsync<InvalidOperationException>(() => tem.Tasks.EnqueueManyAsync(failed.Id, Types.Echo, Failing()));
        Assert.Equal(new BatchStats(0, 0, 0, 0, 0), await tem.Batches.GetStatsAsync(failed.Id));
        Assert.Empty(await tem.Tasks.ListAsync(new TaskQuery { BatchId = failed.Id }));
    }

    [Fact]
    public async Task Resume_leaves_a_live_workers_tasks_alone_and_takes_a_crashed_ones()
    {
        using var db = new TempDatabase();
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        var busy = db.Open(registry: Echo(async (p, _, _) =>
        {
            entered.TrySetResult();
            await release.Task;
            return new EchoResult(p.N, "busy");
        }));
        var batch = await busy.Batches.CreateAsync("b", "t");
        await busy.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await busy.Worker.StartAsync();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await using var other = db.Open(registry: Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, "other"))));
        Assert.Equal(0, await other.Batches.ResumeAsync(batch.Id)); // the busy worker is alive
        Assert.Equal(1, (await other.Batches.GetStatsAsync(batch.Id)).Running);

        await busy.SimulateCrashAsync();
        Assert.Equal(1, await other.Batches.ResumeAsync(batch.Id)); // now its tasks are lost runs
        await other.Worker.StartAsync();
        Assert.Equal(1, (await other.WaitForBatchAsync(batch.Id, Types.Timeout())).Completed);
        release.SetResult();
    }

    [Fact]
    public async Task Stopped_engines_are_not_held_by_the_metrics()
    {
        using var db = new TempDatabase();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tem")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.Start();
        var references = await OpenAndDropEnginesAsync(db, 10);
        for (var i = 0; i < 5 && references.Any(r => r.IsAlive); i++)
        {
            listener.RecordObservableInstruments();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.All(references, r => Assert.False(r.IsAlive, "a disposed engine is still referenced"));
    }

    private static async Task<List<WeakReference>> OpenAndDropEnginesAsync(TempDatabase db, int count)
    {
        var references = new List<WeakReference>();
        for (var i = 0; i < count; i++)
        {
            var tem = db.Open(registry: Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, ""))));
            await tem.Worker.StartAsync();
            await tem.DisposeAsync();
            references.Add(new WeakReference(tem));
        }

        return references;
    }
}
