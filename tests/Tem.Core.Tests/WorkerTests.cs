using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.Core.Tests;

public class WorkerTests
{
    private static ITemHandlerRegistry Echo(Func<EchoPayload, TaskContext, CancellationToken, ValueTask<EchoResult>> handler)
        => TemHandlerRegistry.Create(w => w.Register(Types.Echo, handler));

    private static ValueTask<EchoResult> Ok(EchoPayload p) => ValueTask.FromResult(new EchoResult(p.N, p.Text.ToUpperInvariant()));

    [Fact]
    public async Task A_batch_runs_to_completion_and_keeps_typed_results()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: Echo((p, _, _) => Ok(p)));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(200), p => new EnqueueOptions { IdempotencyKey = $"k{p.N}" });
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        Assert.Equal(new BatchStats(0, 0, 200, 0, 0), stats);
        var first = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
        Assert.Equal(new EchoResult(0, "T0"), await tem.Tasks.GetResultAsync(first.Id, Types.Echo));
        Assert.Equal(1, first.Attempt);
        var done = await tem.Batches.GetAsync(batch.Id);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.NotNull(done.CompletedAt);

        // Re-running the script's enqueue and resume adds nothing and leaves the batch completed.
        Assert.Equal(new EnqueueResult(0, 200), await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(200), p => new EnqueueOptions { IdempotencyKey = $"k{p.N}" }));
        Assert.Equal(0, await tem.Batches.ResumeAsync(batch.Id));
        Assert.Equal(BatchStatus.Completed, (await tem.Batches.GetAsync(batch.Id)).Status);
    }

    [Fact]
    public async Task Concurrency_is_never_exceeded()
    {
        using var db = new TempDatabase();
        int inFlight = 0, max = 0;
        await using var tem = db.Open(o => o.Concurrency = 5, Echo(async (p, _, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref max, now);
            await Task.Delay(5, ct);
            Interlocked.Decrement(ref inFlight);
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(150));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(5, max); // reached, never passed
    }

    [Fact]
    public async Task No_sliding_rate_window_is_ever_exceeded()
    {
        using var db = new TempDatabase();
        var starts = new ConcurrentQueue<long>();
        await using var tem = db.Open(o =>
        {
            o.Concurrency = 50;
            // The margin absorbs the test's own measurement: the start is read just after the permit is logged,
            // and on a loaded 2-core machine a thread can be preempted between the two for tens of milliseconds.
            o.RateLimit = new RateLimitOptions { PerSecond = 20, Windows = { new RateLimitWindow(5, TimeSpan.FromMilliseconds(100)) }, SafetyMargin = TimeSpan.FromMilliseconds(50) };
        }, Echo((p, ctx, _) =>
        {
            ctx.MarkRequestSent(); // as a provider client would, right before its request leaves
            starts.Enqueue(Stopwatch.GetTimestamp());
            return Ok(p);
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(50));
        var clock = Stopwatch.StartNew();
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var times = starts.Order().ToArray();
        Assert.Equal(50, times.Length);
        Assert.Equal(0, RateWindows.MostInAnyWindow(times, TimeSpan.FromSeconds(1)) - 20 is var over && over > 0 ? over : 0);
        Assert.True(RateWindows.MostInAnyWindow(times, TimeSpan.FromMilliseconds(100)) <= 5);
        // 50 starts at 20/s need at least two full windows after the first 20.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"finished in {clock.Elapsed}");
    }

    [Fact]
    public async Task Failing_tasks_retry_with_growing_backoff_then_fail_with_their_last_error()
    {
        using var db = new TempDatabase();
        var attempts = new ConcurrentQueue<(int Attempt, long At)>();
        await using var tem = db.Open(o =>
        {
            o.DefaultMaxAttempts = 4;
            o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(5), JitterFraction = 0 };
        }, Echo((p, ctx, _) =>
        {
            attempts.Enqueue((ctx.Attempt, Stopwatch.GetTimestamp()));
            throw new InvalidOperationException($"boom {ctx.Attempt}");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        Assert.Equal(1, stats.Failed);
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(4, task.Attempt);
        Assert.Equal("System.InvalidOperationException: boom 4", task.Error);
        var at = attempts.ToArray();
        Assert.Equal([1, 2, 3, 4], at.Select(a => a.Attempt));
        var gaps = at.Zip(at.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.At, b.At)).ToArray();
        // 100, 200, 400 ms without jitter; never earlier than the backoff.
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(95), $"gap {gaps[0]}");
        Assert.True(gaps[1] >= TimeSpan.FromMilliseconds(195), $"gap {gaps[1]}");
        Assert.True(gaps[2] >= TimeSpan.FromMilliseconds(395), $"gap {gaps[2]}");
    }

    [Fact]
    public async Task NonRetryableException_fails_at_once()
    {
        using var db = new TempDatabase();
        var calls = 0;
        await using var tem = db.Open(registry: Echo((p, _, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new NonRetryableException("the prompt is too long for this model");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(TemTaskStatus.Failed, task.Status);
        Assert.Equal(1, calls);
        Assert.Equal("Tem.NonRetryableException: the prompt is too long for this model", task.Error);
        var ex = await Assert.ThrowsAsync<TemException>(() => tem.Tasks.GetResultAsync(id, Types.Echo));
        Assert.Contains("has no result: it is failed", ex.Message);
    }

    [Fact]
    public async Task RetryAfter_defers_without_using_an_attempt_and_pauses_all_starts()
    {
        using var db = new TempDatabase();
        var starts = new ConcurrentQueue<(long N, int Attempt, long At)>();
        var refused = 0;
        await using var tem = db.Open(o => o.Concurrency = 4, Echo((p, ctx, _) =>
        {
            starts.Enqueue((p.N, ctx.Attempt, Stopwatch.GetTimestamp()));
            if (p.N == 0 && Interlocked.Increment(ref refused) <= 2)
            {
                throw new RetryAfterException(TimeSpan.FromMilliseconds(300));
            }

            return Ok(p);
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(0));
        await tem.Worker.StartAsync();
        // The deferral is written after the pause is applied: once it is in the file, the pause is in force.
        await Types.Eventually(async () => refused >= 1 && (await tem.Tasks.GetAsync(id)) is { Status: TemTaskStatus.Pending, Attempt: 0 }, "first 429 written");
        var pausedAt = starts.First(s => s.N == 0).At; // the refusal: the pause runs 300 ms from just after it
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Enumerable.Range(1, 5).Select(i => new EchoPayload(i)));
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(TemTaskStatus.Completed, task.Status);
        Assert.Equal(1, task.Attempt); // two deferrals used no attempt
        Assert.All(starts.Where(s => s.N == 0), s => Assert.Equal(1, s.Attempt));
        // Tasks enqueued during the pause did not start before it ended.
        var firstOther = starts.Where(s => s.N > 0).Min(s => s.At);
        Assert.True(Stopwatch.GetElapsedTime(pausedAt, firstOther) >= TimeSpan.FromMilliseconds(250), "a start slipped through the pause");
    }

    [Fact]
    public async Task RetryAfter_is_bounded_so_a_provider_that_always_refuses_cannot_loop_forever()
    {
        using var db = new TempDatabase();
        var calls = 0;
        await using var tem = db.Open(o => { o.MaxRateLimitDeferrals = 3; o.DefaultMaxAttempts = 2; }, Echo((p, _, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new RetryAfterException(TimeSpan.FromMilliseconds(10));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(0));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(TemTaskStatus.Failed, task.Status);
        Assert.Equal(5, calls); // 3 free deferrals, then each refusal counts: attempts 1 and 2
        Assert.Contains("more than MaxRateLimitDeferrals = 3", task.Error);
    }

    [Fact]
    public async Task A_handler_past_its_timeout_is_cancelled_even_if_it_ignores_the_token()
    {
        using var db = new TempDatabase();
        var type = new TaskType<EchoPayload, EchoResult>("slow", TestJson.Default.EchoPayload, TestJson.Default.EchoResult, maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(200));
        var release = new TaskCompletionSource();
        await using var tem = db.Open(o => o.Concurrency = 1, TemHandlerRegistry.Create(w =>
        {
            w.Register(type, async (p, _, _) =>
            {
                await release.Task; // ignores cancellation
                return new EchoResult(p.N, "");
            });
            w.Register(Types.Echo, (p, _, _) => Ok(p));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var slow = await tem.Tasks.EnqueueAsync(batch.Id, type, new EchoPayload(1), new EnqueueOptions { Priority = 1 });
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(2));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        release.SetResult();

        Assert.Equal(1, stats.Completed); // the slot was freed for the next task
        var failed = await tem.Tasks.GetAsync(slow);
        Assert.Equal(TemTaskStatus.Failed, failed.Status);
        Assert.Equal("Timed out after 0.2 s (attempt 1 of 1).", failed.Error);
    }

    [Fact]
    public async Task A_payload_that_no_longer_parses_fails_that_task_only()
    {
        using var db = new TempDatabase();
        await using (var tem = db.Open())
        {
            var batch = await tem.Batches.CreateAsync("b", "t");
            await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(10));
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db.Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE task SET payload = '{\"N\": oops' WHERE id = 3;";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        await using var reopened = db.Open(registry: Echo((p, _, _) => Ok(p)));
        await reopened.Worker.StartAsync();
        var stats = await reopened.WaitForBatchAsync(1, Types.Timeout());
        Assert.Equal(new BatchStats(0, 0, 9, 1, 0), stats);
        var bad = await reopened.Tasks.GetAsync(3);
        Assert.Equal(1, bad.Attempt); // not retried: the same bytes would fail again
        Assert.StartsWith("The stored payload does not parse as EchoPayload for task type 'echo'", bad.Error);
    }

    [Fact]
    public async Task A_result_that_cannot_be_serialized_fails_the_task_with_a_clear_error()
    {
        using var db = new TempDatabase();
        var type = new TaskType<EchoPayload, UnwritableResult>("nan", TestJson.Default.EchoPayload, TestJson.Default.UnwritableResult);
        await using var tem = db.Open(registry: TemHandlerRegistry.Create(w => w.Register(type, (p, _, _) => ValueTask.FromResult(new UnwritableResult(double.NaN)))));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, type, new EchoPayload(1));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(TemTaskStatus.Failed, task.Status);
        Assert.StartsWith("The result of task type 'nan' cannot be written as JSON", task.Error);
    }

    [Fact]
    public async Task A_task_type_without_a_handler_is_not_claimed_and_shows_in_stats()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: Echo((p, _, _) => Ok(p)));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Fire, Types.Payloads(3));
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        await Types.Eventually(async () => (await tem.Batches.GetStatsAsync(batch.Id)).Completed == 3, "echo tasks done");
        await tem.Worker.StopAsync();
        Assert.Equal(new BatchStats(3, 0, 3, 0, 0), await tem.Batches.GetStatsAsync(batch.Id));
    }

    [Fact]
    public async Task Higher_priority_runs_first_then_fifo_and_delayed_tasks_wait()
    {
        using var db = new TempDatabase();
        var order = new ConcurrentQueue<int>();
        await using var tem = db.Open(o => o.Concurrency = 1, Echo((p, _, _) =>
        {
            order.Enqueue(p.N);
            return Ok(p);
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(2), new EnqueueOptions { Priority = 5 });
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(3));
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(4), new EnqueueOptions { Priority = 5 });
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(5), new EnqueueOptions { Priority = 9, Delay = TimeSpan.FromMilliseconds(400) });
        var clock = Stopwatch.StartNew();
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal([2, 4, 1, 3, 5], order);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(390));
    }

    [Fact]
    public async Task An_enqueue_wakes_an_idle_worker_at_once()
    {
        using var db = new TempDatabase();
        var started = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var tem = db.Open(o => o.PollInterval = TimeSpan.FromSeconds(30), Echo((p, _, _) =>
        {
            started.TrySetResult(Stopwatch.GetTimestamp());
            return Ok(p);
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var signals = tem.EnableTestSignals();
        await tem.Worker.StartAsync();
        await signals.DispatcherIdle.WaitAsync(TimeSpan.FromSeconds(20)); // the worker found nothing and now waits on its 30 s poll
        var before = Stopwatch.GetTimestamp();
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        var at = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Stopwatch.GetElapsedTime(before, at) < TimeSpan.FromSeconds(5)); // far below the poll interval
    }

    [Fact]
    public async Task Graceful_stop_lets_handlers_finish_or_returns_their_tasks_to_pending()
    {
        using var db = new TempDatabase();
        var entered = 0;
        await using var tem = db.Open(o => o.Concurrency = 4, Echo(async (p, _, ct) =>
        {
            Interlocked.Increment(ref entered);
            await Task.Delay(Timeout.Infinite, ct);
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(10));
        await tem.Worker.StartAsync();
        await Types.Eventually(() => Task.FromResult(Volatile.Read(ref entered) == 4), "four handlers running");
        await tem.Worker.StopAsync(TimeSpan.FromMilliseconds(200));

        Assert.Equal(new BatchStats(10, 0, 0, 0, 0), await tem.Batches.GetStatsAsync(batch.Id));
        var tasks = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id });
        Assert.All(tasks, t => Assert.Equal(0, t.Attempt)); // a stop uses no attempt
    }

    [Fact]
    public async Task After_a_crash_resume_finishes_the_batch()
    {
        using var db = new TempDatabase();
        var gate = new TaskCompletionSource();
        var first = db.Open(o => o.Concurrency = 20, Echo(async (p, _, _) =>
        {
            if (p.N % 2 == 0)
            {
                await gate.Task; // never released: these are running at the crash
            }

            return new EchoResult(p.N, "first");
        }));
        var batch = await first.Batches.CreateAsync("b", "t");
        await first.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(20));
        await first.Worker.StartAsync();
        await Types.Eventually(async () => (await first.Batches.GetStatsAsync(batch.Id)) is { Completed: 10, Running: > 0 }, "odd tasks done");
        await first.SimulateCrashAsync();

        await using var second = db.Open(registry: Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, "second"))));
        var before = await second.Batches.GetStatsAsync(batch.Id);
        Assert.True(before.Running > 0);
        Assert.Equal((int)before.Running, await second.Batches.ResumeAsync(batch.Id));
        await second.Worker.StartAsync();
        var stats = await second.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(20, stats.Completed);
        var evens = (await second.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id })).Where((_, i) => i % 2 == 0);
        Assert.All(evens, t => Assert.Contains("second", t.ResultJson));
    }

    [Fact]
    public async Task Expired_leases_are_recovered_by_a_live_worker()
    {
        using var db = new TempDatabase();
        var gate = new TaskCompletionSource();
        var first = db.Open(o => o.LeaseDuration = TimeSpan.FromMilliseconds(600), Echo(async (p, _, _) =>
        {
            await gate.Task;
            return new EchoResult(p.N, "first");
        }));
        var batch = await first.Batches.CreateAsync("b", "t");
        await first.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await first.Worker.StartAsync();
        await Types.Eventually(async () => (await first.Batches.GetStatsAsync(batch.Id)).Running == 3, "all running");
        await first.SimulateCrashAsync();

        await using var second = db.Open(o => o.LeaseDuration = TimeSpan.FromMilliseconds(600), Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, "second"))));
        await second.Worker.StartAsync();
        var stats = await second.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(3, stats.Completed);
        Assert.All(await second.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id }), t => Assert.Equal(2, t.Attempt));
        Assert.Equal(3, (await second.Batches.GetReportAsync(batch.Id)).LostAttempts); // tem report counts the runs lost with the first worker
    }

    [Fact]
    public async Task RetryFailed_after_a_fix_runs_the_failures_again_with_fresh_attempts()
    {
        using var db = new TempDatabase();
        var fixedUp = false;
        await using var tem = db.Open(o => o.DefaultMaxAttempts = 2, Echo((p, _, _) =>
            p.N % 3 == 0 && !Volatile.Read(ref fixedUp) ? throw new InvalidOperationException("bug") : Ok(p)));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(30));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(new BatchStats(0, 0, 20, 10, 0), stats);
        Assert.Equal(BatchStatus.Completed, (await tem.Batches.GetAsync(batch.Id)).Status);

        Volatile.Write(ref fixedUp, true);
        Assert.Equal(10, await tem.Batches.RetryFailedAsync(batch.Id));
        stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(new BatchStats(0, 0, 30, 0, 0), stats);
        var retried = await tem.Tasks.GetAsync((await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id }))[0].Id);
        Assert.Equal(1, retried.Attempt);
        Assert.Null(retried.Error);
    }

    [Fact]
    public async Task Cancelling_a_batch_cancels_its_running_handlers()
    {
        using var db = new TempDatabase();
        var cancelled = 0;
        var entered = 0;
        await using var tem = db.Open(o => o.Concurrency = 3, Echo(async (p, _, ct) =>
        {
            Interlocked.Increment(ref entered);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }

            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(10));
        await tem.Worker.StartAsync();
        await Types.Eventually(() => Task.FromResult(Volatile.Read(ref entered) == 3), "three running");
        Assert.Equal(10, await tem.Batches.CancelAsync(batch.Id));
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(new BatchStats(0, 0, 0, 0, 10), stats);
        await Types.Eventually(() => Task.FromResult(Volatile.Read(ref cancelled) == 3), "handlers cancelled");
    }

    [Fact]
    public async Task A_wait_returns_after_a_cancel_while_handlers_that_ignore_their_token_still_run()
    {
        using var db = new TempDatabase();
        var entered = 0;
        var release = new TaskCompletionSource();
        await using var tem = db.Open(o => o.Concurrency = 3, Echo(async (p, _, _) =>
        {
            Interlocked.Increment(ref entered);
            await release.Task; // ignores cancellation, as a client without a token would
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        await Types.Eventually(() => Task.FromResult(Volatile.Read(ref entered) == 3), "three running");
        await tem.Batches.CancelAsync(batch.Id);
        try
        {
            var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout(10));
            Assert.Equal(new BatchStats(0, 0, 0, 0, 3), stats);
        }
        finally
        {
            release.SetResult();
        }
    }

    [Fact]
    public async Task Registering_twice_or_starting_without_handlers_is_refused()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var none = await Assert.ThrowsAsync<InvalidOperationException>(() => tem.Worker.StartAsync());
        Assert.Contains("The worker has no handlers", none.Message);
        tem.Worker.Register(Types.Echo, (p, _, _) => Ok(p));
        var twice = Assert.Throws<InvalidOperationException>(() => tem.Worker.Register(Types.Echo, (p, _, _) => Ok(p)));
        Assert.Contains("Task type 'echo' already has a handler", twice.Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

internal static class RateWindows
{
    /// <summary>The most timestamps (Stopwatch ticks, sorted) that fall in any half-open window of the given length.</summary>
    public static int MostInAnyWindow(long[] sorted, TimeSpan window)
    {
        var length = (long)(window.TotalSeconds * Stopwatch.Frequency);
        int most = 0, start = 0;
        for (var end = 0; end < sorted.Length; end++)
        {
            while (sorted[end] - sorted[start] >= length)
            {
                start++;
            }

            most = Math.Max(most, end - start + 1);
        }

        return most;
    }
}
