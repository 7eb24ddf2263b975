using Xunit;

namespace Tem.Core.Tests;

/// <summary>Steering batches and single tasks, and the history that says what happened.</summary>
public class SteeringTests
{
    private static ITemHandlerRegistry Echo(Func<EchoPayload, TaskContext, CancellationToken, ValueTask<EchoResult>> handler) => Types.EchoRegistry(handler);

    [Fact]
    public async Task Every_failed_attempt_keeps_its_stack_trace_and_retry_failed_clears_the_current_error()
    {
        using var db = new TempDatabase();
        var fixedIt = false;
        await using var tem = db.Open(registry: Echo((p, context, _) => Volatile.Read(ref fixedIt)
            ? ValueTask.FromResult(new EchoResult(p.N, "ok"))
            : throw new InvalidOperationException($"bad attempt {context.Attempt}", new TimeoutException("inner cause"))));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1), new EnqueueOptions { MaxAttempts = 2 });
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal("System.InvalidOperationException: bad attempt 2", task.Error);
        var attempts = await tem.Tasks.GetAttemptsAsync(id);
        Assert.Equal([(1, TaskAttemptOutcome.Retried), (2, TaskAttemptOutcome.Failed)], attempts.Select(a => (a.Attempt, a.Outcome)));
        Assert.Contains("bad attempt 1", attempts[0].Error);
        Assert.Contains("inner cause", attempts[0].Detail);
        Assert.Contains(" at ", attempts[0].Detail); // the stack trace

        Volatile.Write(ref fixedIt, true);
        Assert.Equal(1, await tem.Batches.RetryFailedAsync(batch.Id));
        Assert.Null((await tem.Tasks.GetAsync(id)).Error); // the old error no longer looks current
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(TemTaskStatus.Completed, (await tem.Tasks.GetAsync(id)).Status);
        Assert.Equal(2, (await tem.Tasks.GetAttemptsAsync(id)).Count); // history kept
        Assert.Contains(await tem.Batches.GetHistoryAsync(batch.Id), e => e.Kind == "retry-failed");
    }

    [Fact]
    public async Task One_task_can_be_retried_cancelled_or_run_again()
    {
        using var db = new TempDatabase();
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        await using var tem = db.Open(registry: Echo((p, _, _) =>
        {
            var run = runs.AddOrUpdate(p.N, 1, (_, n) => n + 1);
            return p.N == 1 && run == 1 ? throw new NonRetryableException("first run of 1 fails") : ValueTask.FromResult(new EchoResult(p.N, $"run {run}"));
        }));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var failing = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        var done = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(2));
        var never = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(3), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });

        Assert.True(await tem.Tasks.CancelAsync(never));
        Assert.False(await tem.Tasks.CancelAsync(never)); // no longer pending
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(TemTaskStatus.Failed, (await tem.Tasks.GetAsync(failing)).Status);
        var firstResult = (await tem.Tasks.GetAsync(done)).ResultJson;

        Assert.True(await tem.Tasks.RetryAsync(failing));
        Assert.True(await tem.Tasks.RerunAsync(done));
        Assert.False(await tem.Tasks.RetryAsync(done)); // it is not failed
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(new BatchStats(0, 0, 2, 0, 1), stats);
        Assert.NotEqual(firstResult, (await tem.Tasks.GetAsync(done)).ResultJson);
        var replaced = Assert.Single(await tem.Tasks.GetAttemptsAsync(done));
        Assert.Equal((TaskAttemptOutcome.Completed, firstResult), (replaced.Outcome, replaced.ResultJson));

        var history = await tem.Batches.GetHistoryAsync(batch.Id);
        Assert.Equal(["task-rerun", "task-retried", "task-cancelled"], history.Select(e => e.Kind));
        await Assert.ThrowsAsync<TaskNotFoundException>(() => tem.Tasks.RetryAsync(999));
    }

    [Fact]
    public async Task Interruptions_have_a_kind_come_newest_first_and_resume_says_it_reactivated()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.Concurrency = 1, Echo((p, _, _) => throw new NonRetryableException("always")));
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: new InterruptionCriteria { MaxFailedTasks = 1 });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(50));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        await tem.Worker.StopAsync();
        Assert.Equal(InterruptionKind.FailedTasks, Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id)).Kind);

        await tem.Batches.ResumeAsync(batch.Id);
        Assert.StartsWith("Resumed after an interruption", (await tem.Batches.GetHistoryAsync(batch.Id))[0].Message);
        await tem.Batches.InterruptAsync(batch.Id, "by hand");
        var interruptions = await tem.Batches.GetInterruptionsAsync(batch.Id);
        Assert.Equal([InterruptionKind.Manual, InterruptionKind.FailedTasks], interruptions.Select(i => i.Kind));
        Assert.Equal("by hand", interruptions[0].Reason);
    }

    [Fact]
    public async Task A_scoped_worker_claims_only_from_its_batches()
    {
        using var db = new TempDatabase();
        long urgentId;
        await using (var setup = db.Open())
        {
            var urgent = await setup.Batches.CreateAsync("urgent", "hot");
            var nightly = await setup.Batches.CreateAsync("nightly", "cold");
            urgentId = urgent.Id;
            await setup.Tasks.EnqueueManyAsync(urgent.Id, Types.Echo, Types.Payloads(10));
            await setup.Tasks.EnqueueManyAsync(nightly.Id, Types.Echo, Types.Payloads(10));
        }

        foreach (var scope in new[] { new WorkerScope { BatchIds = [urgentId] }, new WorkerScope { BatchTypes = ["hot"] } })
        {
            await using var tem = db.Open(o => o.Scope = scope, Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, ""))));
            await tem.Worker.StartAsync();
            var urgent = (await tem.Batches.GetByCodeAsync("urgent"))!;
            await tem.WaitForBatchAsync(urgent.Id, Types.Timeout());
            Assert.Equal(10, (await tem.Batches.GetStatsAsync((await tem.Batches.GetByCodeAsync("nightly"))!.Id)).Pending);
        }

        var empty = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.Scope = new WorkerScope { BatchIds = [] }));
        Assert.Contains("empty list", empty.Message);
    }

    [Fact]
    public async Task Engine_wide_criteria_merge_with_a_batchs_own_and_the_stricter_wins()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.DefaultInterruptionCriteria = new InterruptionCriteria { MaxFailedTasks = 2, MaxErrorRate = 0.5 });
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: new InterruptionCriteria { MaxFailedTasks = 5, MaxRuntime = TimeSpan.FromHours(1), MaxErrorRate = 0.1 });
        var criteria = (await tem.Batches.GetAsync(batch.Id)).InterruptionCriteria!;
        Assert.Equal((2, 0.1, TimeSpan.FromHours(1)), (criteria.MaxFailedTasks!.Value, criteria.MaxErrorRate!.Value, criteria.MaxRuntime!.Value));
        var plain = await tem.Batches.CreateAsync("plain", "t");
        Assert.Equal(2, (await tem.Batches.GetAsync(plain.Id)).InterruptionCriteria!.MaxFailedTasks);
    }

    [Fact]
    public async Task A_wait_for_tasks_nobody_handles_warns_and_can_give_up()
    {
        using var db = new TempDatabase();
        var logger = new RecordingLogger();
        await using var tem = db.Open(o => o.Logger = logger, TemHandlerRegistry.Create(w => w.Register(Types.Fire, (_, _, _) => ValueTask.CompletedTask)));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync(); // handles "fire", not "echo"

        var ex = await Assert.ThrowsAsync<UnhandledTasksException>(() => tem.WaitForBatchOrThrowAsync(batch.Id, TimeSpan.FromSeconds(1), Types.Timeout()));
        Assert.Contains("3 of type 'echo'", ex.Message);
        Assert.Equal([new UnhandledTasks("echo", 3)], ex.Unhandled);
        Assert.True(logger.Said("waits for tasks that no live worker handles: 3 of type 'echo'"));
        Assert.Equal([new UnhandledTasks("echo", 3)], await tem.Batches.GetUnhandledAsync(batch.Id));
    }

    [Fact]
    public async Task Resuming_a_completed_batch_that_has_nothing_to_resume_keeps_its_completion_time()
    {
        using var db = new TempDatabase();
        var clock = new ShiftedClock();
        await using var tem = await TemEngine.OpenOnClockAsync(db.Options(), Echo((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, ""))), clock, CancellationToken.None);
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        var completedAt = (await tem.Batches.GetAsync(batch.Id)).CompletedAt;
        clock.Shift(TimeSpan.FromSeconds(1)); // a rewritten completion time would now differ
        Assert.Equal(0, await tem.Batches.ResumeAsync(batch.Id));
        var after = await tem.Batches.GetAsync(batch.Id);
        Assert.Equal((BatchStatus.Completed, completedAt), (after.Status, after.CompletedAt));
    }

    [Fact]
    public async Task Max_runtime_trips_within_seconds_even_with_a_long_lease()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => { o.Concurrency = 1; o.LeaseDuration = TimeSpan.FromSeconds(30); }, Echo(async (p, _, ct) =>
        {
            await Task.Delay(50, ct);
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: new InterruptionCriteria { MaxRuntime = TimeSpan.FromSeconds(1) });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(1000));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(InterruptionKind.Runtime, Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id)).Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"MaxRuntime = 1 s tripped after {clock.Elapsed}");
    }

    [Fact]
    public async Task Too_many_rate_limit_refusals_within_the_window_interrupt_the_batch()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.MaxRetryAfter = TimeSpan.FromMilliseconds(20), Echo((p, _, _) => throw new RetryAfterException(TimeSpan.FromMilliseconds(10))));
        var batch = await tem.Batches.CreateAsync("b", "t", interruptionCriteria: new InterruptionCriteria { MaxRateLimitHits = 5, ProviderTroubleWindow = TimeSpan.FromMinutes(1) });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        Assert.Equal(3, stats.Pending); // no attempt was burnt; the tasks wait for a resume
        var interruption = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        Assert.Equal(InterruptionKind.RateLimitHits, interruption.Kind);
        Assert.Matches(@"^The provider refused \d+ runs with a rate limit within 60 s, reaching MaxRateLimitHits = 5\.$", interruption.Reason);
        var task = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id })).First();
        Assert.All(await tem.Tasks.GetAttemptsAsync(task.Id), a => Assert.Equal(TaskAttemptOutcome.Deferred, a.Outcome));
    }

    [Fact]
    public async Task Two_reads_of_a_batch_are_equal_and_lookups_say_null_or_throw_consistently()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("b", "t", new Dictionary<string, string> { ["owner"] = "ops" });
        Assert.Equal(await tem.Batches.GetAsync(batch.Id), await tem.Batches.GetByCodeAsync("b"));
        Assert.True(await tem.Batches.GetAsync(batch.Id) == await tem.Batches.GetAsync(batch.Id));
        Assert.Null(await tem.Batches.TryGetAsync(404));
        await Assert.ThrowsAsync<BatchNotFoundException>(() => tem.Batches.GetAsync(404));
        Assert.Null(await tem.Tasks.TryGetAsync(404));
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        Assert.Equal(id, Assert.Single(await tem.Tasks.ListAsync(batch.Id)).Id);
    }
}
