using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Conformance;

/// <summary>
/// Every store-level behaviour the engine relies on, written once against <see cref="ITemStore"/> and run against
/// each store: a store derives a class that opens a fresh, empty store of its kind.
/// </summary>
public abstract partial class StoreConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;
    private ITemStore? _store;

    internal ITemStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>Opens a new, empty store.</summary>
    internal abstract ValueTask<ITemStore> OpenStoreAsync();

    /// <summary>
    /// Returns once the store's clock has passed <paramref name="lease"/> from now, so a lease just granted for that
    /// long has expired as the store judges it: no sleep that merely hopes it has.
    /// </summary>
    internal abstract ValueTask PassLeaseAsync(TimeSpan lease);

    public async ValueTask InitializeAsync() => _store = await OpenStoreAsync();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private static NewTask Row(string payload, int priority = 0, string? key = null, int maxAttempts = 3, TimeSpan delay = default)
        => new(payload, maxAttempts, priority, delay, key);

    private async Task<long> BatchAsync(string code = "b")
        => (await Store.CreateBatchAsync(code, "test", null, null, None)).Id;

    private static WorkerIdentity Worker(string owner) => new(owner, "conformance-host", 1);

    [Fact]
    public async Task Claims_take_higher_priority_first_then_lowest_id_and_skip_delayed_rows()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b", priority: 5), Row("c"), Row("later", priority: 9, delay: TimeSpan.FromHours(1))], None);
        var claimed = await Store.ClaimAsync("w1", ["t"], default, 10, Lease, None);
        Assert.Equal(["b", "a", "c"], claimed.Select(c => c.Payload));
        Assert.All(claimed, c => Assert.Equal(1, c.Attempt));
        Assert.Empty(await Store.ClaimAsync("w2", ["t"], default, 10, Lease, None));
    }

    [Fact]
    public async Task Claims_take_only_the_given_types_and_active_batches()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        await Store.EnqueueAsync(batch, "other", [Row("b")], None);
        Assert.Empty(await Store.ClaimAsync("w", ["nobody"], default, 10, Lease, None));
        await Store.InterruptBatchAsync(batch, InterruptionKind.Manual, "test", None);
        Assert.Empty(await Store.ClaimAsync("w", ["t", "other"], default, 10, Lease, None));
        await Store.ResumeBatchAsync(batch, [], TimeSpan.Zero, None);
        Assert.Equal(["a"], (await Store.ClaimAsync("w", ["t"], default, 10, Lease, None)).Select(c => c.Payload));
    }

    [Fact]
    public async Task Claims_across_batches_and_types_keep_one_order_and_never_take_held_rows()
    {
        var first = await BatchAsync("first");
        var second = await BatchAsync("second");
        var held = await BatchAsync("held");
        await Store.EnqueueAsync(held, "t", [Row("held", priority: 9)], None);
        await Store.InterruptBatchAsync(held, InterruptionKind.Manual, "test", None);
        await Store.EnqueueAsync(first, "t", [Row("f1"), Row("f2", priority: 2), Row("f3")], None);
        await Store.EnqueueAsync(first, "u", [Row("u1", priority: 1), Row("u2")], None);
        await Store.EnqueueAsync(second, "t", [Row("s1", priority: 2), Row("s2")], None);
        await Store.EnqueueAsync(second, "unhandled", [Row("x", priority: 9)], None);

        // Priority first, then enqueue order, over every active batch and handled type together, a few at a time.
        var order = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            order.AddRange((await Store.ClaimAsync("w", ["t", "u"], default, 2, Lease, None)).Select(c => c.Payload));
        }

        Assert.Equal(["f2", "s1", "u1", "f1", "f3", "u2", "s2"], order);
    }

    [Fact]
    public async Task An_outcome_applies_only_to_the_claim_it_belongs_to()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        var claim = (await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Single();
        var stale = new TaskOutcome(claim.Id, batch, claim.Version - 1, OutcomeKind.Completed, "{}", null, TimeSpan.Zero);
        Assert.Single(await Store.ApplyOutcomesAsync([stale], None));
        var current = stale with { Version = claim.Version };
        Assert.Empty(await Store.ApplyOutcomesAsync([current], None));
        Assert.Single(await Store.ApplyOutcomesAsync([current], None)); // already completed: no longer running at that version
        var task = await Store.GetTaskAsync(claim.Id, None);
        Assert.Equal(TemTaskStatus.Completed, task!.Status);
        Assert.Equal("{}", task.ResultJson);
    }

    [Fact]
    public async Task Retry_and_deferral_return_to_pending_and_only_retry_uses_the_attempt()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b")], None);
        var claims = await Store.ClaimAsync("w", ["t"], default, 2, Lease, None);
        await Store.ApplyOutcomesAsync([
            new(claims[0].Id, batch, claims[0].Version, OutcomeKind.Retry, null, "boom", TimeSpan.Zero),
            new(claims[1].Id, batch, claims[1].Version, OutcomeKind.Deferred, null, "429", TimeSpan.Zero)], None);
        var again = await Store.ClaimAsync("w", ["t"], default, 2, Lease, None);
        Assert.Equal(2, again.Single(c => c.Id == claims[0].Id).Attempt);
        var deferred = again.Single(c => c.Id == claims[1].Id);
        Assert.Equal(1, deferred.Attempt);
        Assert.Equal(1, deferred.RateLimitDeferrals);
    }

    [Fact]
    public async Task A_retry_waits_its_delay_from_the_store_clock()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        var claim = (await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Single();
        await Store.ApplyOutcomesAsync([new(claim.Id, batch, claim.Version, OutcomeKind.Retry, null, "boom", TimeSpan.FromHours(1))], None);
        Assert.Empty(await Store.ClaimAsync("w", ["t"], default, 1, Lease, None));
        var task = await Store.GetTaskAsync(claim.Id, None);
        Assert.InRange(task!.RunAfter - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Idempotency_keys_are_unique_per_batch_across_calls_and_within_one()
    {
        var batch = await BatchAsync();
        var other = await BatchAsync("other");
        var first = await Store.EnqueueAsync(batch, "t", [Row("a", key: "k1"), Row("b", key: "k2"), Row("dup", key: "k1")], None);
        Assert.Equal(new EnqueueResult(2, 1), first);
        Assert.Equal(new EnqueueResult(0, 1), await Store.EnqueueAsync(batch, "t", [Row("again", key: "k2")], None));
        Assert.Equal(new EnqueueResult(1, 0), await Store.EnqueueAsync(other, "t", [Row("a", key: "k1")], None));
        var one = await Store.EnqueueOneAsync(batch, "t", Row("x", key: "k1"), None);
        Assert.Equal("a", (await Store.GetTaskAsync(one, None))!.PayloadJson);
    }

    [Fact]
    public async Task Staged_rows_are_invisible_until_committed_and_gone_when_aborted()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("old", key: "held")], None);
        await Store.StageAsync(batch, "t", 7, [Row("a", key: "k"), Row("b")], None);
        await Store.StageAsync(batch, "t", 7, [Row("c"), Row("dup", key: "k"), Row("again", key: "held")], None);
        Assert.Equal(new BatchStats(1, 0, 0, 0, 0), await Store.GetStatsAsync(batch, None));
        Assert.Equal(["old"], (await Store.ListTasksAsync(new TaskQuery { BatchId = batch }, None)).Select(t => t.PayloadJson));
        Assert.Equal(3, await Store.CommitStagedAsync(batch, "t", 7, None));
        Assert.Equal(["old", "a", "b", "c"], (await Store.ListTasksAsync(new TaskQuery { BatchId = batch }, None)).Select(t => t.PayloadJson));

        await Store.StageAsync(batch, "t", 8, [Row("x"), Row("y")], None);
        await Store.AbortStagedAsync(8, None);
        Assert.Equal(0, await Store.CommitStagedAsync(batch, "t", 8, None));
        Assert.Equal(4, (await Store.GetStatsAsync(batch, None)).Pending);
    }

    [Fact]
    public async Task Heartbeats_renew_exactly_the_given_runs_and_expired_leases_are_recovered()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b")], None);
        var claims = await Store.ClaimAsync("w", ["t"], default, 2, TimeSpan.FromMilliseconds(1), None);
        Assert.Equal(1, await Store.HeartbeatAsync(Worker("w"), [claims[0].Id], Lease, None));
        Assert.Contains("w", (await Store.ListLiveWorkersAsync(None)).Select(w => w.Owner));
        await PassLeaseAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await Store.RecoverExpiredLeasesAsync(TimeSpan.Zero, None));
        Assert.Equal(TemTaskStatus.Running, (await Store.GetTaskAsync(claims[0].Id, None))!.Status);
        var lost = (await Store.GetTaskAsync(claims[1].Id, None))!;
        Assert.Equal(TemTaskStatus.Pending, lost.Status);
        Assert.Equal(1, lost.Attempt); // the lost run used its attempt
        await Store.RemoveWorkerAsync("w", None);
        Assert.DoesNotContain("w", (await Store.ListLiveWorkersAsync(None)).Select(w => w.Owner));
    }

    [Fact]
    public async Task A_lost_run_on_its_last_attempt_fails_and_completes_the_batch()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a", maxAttempts: 1)], None);
        await Store.ClaimAsync("w", ["t"], default, 1, TimeSpan.FromMilliseconds(1), None);
        await PassLeaseAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await Store.RecoverExpiredLeasesAsync(TimeSpan.Zero, None));
        Assert.Equal(new BatchStats(0, 0, 0, 1, 0), await Store.GetStatsAsync(batch, None));
        Assert.Equal(BatchStatus.Completed, (await Store.GetBatchAsync(batch, None))!.Status);
    }

    [Fact]
    public async Task Resume_takes_only_what_no_live_owner_holds()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b")], None);
        var live = (await Store.ClaimAsync("live", ["t"], default, 1, Lease, None)).Single();
        var dead = (await Store.ClaimAsync("dead", ["t"], default, 1, Lease, None)).Single();
        Assert.Equal(1, await Store.ResumeBatchAsync(batch, ["live"], TimeSpan.Zero, None));
        Assert.Equal(TemTaskStatus.Running, (await Store.GetTaskAsync(live.Id, None))!.Status);
        Assert.Equal(TemTaskStatus.Pending, (await Store.GetTaskAsync(dead.Id, None))!.Status);
    }

    [Fact]
    public async Task The_last_outcome_completes_the_batch_and_failures_count_towards_its_criteria()
    {
        var criteria = new InterruptionCriteria { MaxFailedTasks = 2 }.ToJson();
        var batch = (await Store.CreateBatchAsync("c", "test", null, criteria, None)).Id;
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b"), Row("c")], None);
        var claims = await Store.ClaimAsync("w", ["t"], default, 3, Lease, None);
        await Store.ApplyOutcomesAsync([
            new(claims[0].Id, batch, claims[0].Version, OutcomeKind.Failed, null, "x", TimeSpan.Zero),
            new(claims[1].Id, batch, claims[1].Version, OutcomeKind.Completed, "{}", null, TimeSpan.Zero)], None);
        Assert.Equal(BatchStatus.Active, (await Store.GetBatchAsync(batch, None))!.Status);
        await Store.ApplyOutcomesAsync([new(claims[2].Id, batch, claims[2].Version, OutcomeKind.Failed, null, "y", TimeSpan.Zero)], None);
        Assert.Equal(BatchStatus.Interrupted, (await Store.GetBatchAsync(batch, None))!.Status);
        var interruption = Assert.Single(await Store.GetInterruptionsAsync(batch, None));
        Assert.Contains("MaxFailedTasks", interruption.Reason);

        var done = await BatchAsync("done");
        await Store.EnqueueAsync(done, "t", [Row("a")], None);
        var claim = (await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Single();
        await Store.ApplyOutcomesAsync([new(claim.Id, done, claim.Version, OutcomeKind.Completed, "{}", null, TimeSpan.Zero)], None);
        var batchRow = (await Store.GetBatchAsync(done, None))!;
        Assert.Equal(BatchStatus.Completed, batchRow.Status);
        Assert.NotNull(batchRow.CompletedAt);
    }

    [Fact]
    public async Task Retry_failed_resets_attempts_and_cancel_ends_pending_and_running()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a", maxAttempts: 1), Row("b"), Row("c")], None);
        var claims = await Store.ClaimAsync("w", ["t"], default, 2, Lease, None);
        await Store.ApplyOutcomesAsync([new(claims[0].Id, batch, claims[0].Version, OutcomeKind.Failed, null, "x", TimeSpan.Zero)], None);
        Assert.Equal(1, await Store.RetryFailedAsync(batch, None));
        var retried = (await Store.GetTaskAsync(claims[0].Id, None))!;
        Assert.Equal((TemTaskStatus.Pending, 0), (retried.Status, retried.Attempt));

        Assert.Equal(3, await Store.CancelBatchAsync(batch, None)); // two pending, one running
        Assert.Equal(new BatchStats(0, 0, 0, 0, 3), await Store.GetStatsAsync(batch, None));
        Assert.Single(await Store.ApplyOutcomesAsync([new(claims[1].Id, batch, claims[1].Version, OutcomeKind.Completed, "{}", null, TimeSpan.Zero)], None));
        await Assert.ThrowsAsync<BatchNotActiveException>(() => Store.EnqueueAsync(batch, "t", [Row("d")], None).AsTask());
        await Assert.ThrowsAsync<BatchNotActiveException>(() => Store.RetryFailedAsync(batch, None).AsTask());
    }

    [Fact]
    public async Task Unknown_batches_and_duplicate_codes_are_typed_errors()
    {
        await BatchAsync("same");
        await Assert.ThrowsAsync<DuplicateBatchCodeException>(() => Store.CreateBatchAsync("same", "test", null, null, None).AsTask());
        await Assert.ThrowsAsync<BatchNotFoundException>(() => Store.EnqueueAsync(404, "t", [Row("a")], None).AsTask());
        await Assert.ThrowsAsync<BatchNotFoundException>(() => Store.CancelBatchAsync(404, None).AsTask());
        Assert.Null(await Store.GetBatchAsync(404, None));
        Assert.Null(await Store.GetTaskAsync(404, None));
    }

    [Fact]
    public async Task A_claim_scope_limits_the_batches_and_batch_types_claimed_from()
    {
        var hot = (await Store.CreateBatchAsync("hot", "urgent", null, null, None)).Id;
        var cold = (await Store.CreateBatchAsync("cold", "nightly", null, null, None)).Id;
        await Store.EnqueueAsync(hot, "t", [Row("h")], None);
        await Store.EnqueueAsync(cold, "t", [Row("c")], None);
        Assert.Equal(["h"], (await Store.ClaimAsync("w", ["t"], new ClaimScope($"[{hot}]", null), 10, Lease, None)).Select(c => c.Payload));
        Assert.Empty(await Store.ClaimAsync("w", ["t"], new ClaimScope(null, "[\"urgent\"]"), 10, Lease, None));
        Assert.Equal(["c"], (await Store.ClaimAsync("w", ["t"], new ClaimScope(null, "[\"nightly\"]"), 10, Lease, None)).Select(c => c.Payload));
    }

    [Fact]
    public async Task Failures_refusals_and_lost_runs_go_to_the_attempt_history()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a", maxAttempts: 5)], None);
        var first = (await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Single();
        await Store.ApplyOutcomesAsync([new(first.Id, batch, first.Version, OutcomeKind.Retry, null, "E: one", TimeSpan.Zero, "trace one")], None);
        var second = (await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Single();
        await Store.ApplyOutcomesAsync([new(second.Id, batch, second.Version, OutcomeKind.Deferred, null, "429", TimeSpan.Zero)], None);
        await Store.ClaimAsync("w", ["t"], default, 1, TimeSpan.FromMilliseconds(1), None);
        await PassLeaseAsync(TimeSpan.FromMilliseconds(1));
        await Store.RecoverExpiredLeasesAsync(TimeSpan.Zero, None);
        var attempts = await Store.GetAttemptsAsync(first.Id, None);
        Assert.Equal([(1, TaskAttemptOutcome.Retried), (2, TaskAttemptOutcome.Deferred), (2, TaskAttemptOutcome.Lost)], attempts.Select(a => (a.Attempt, a.Outcome)));
        Assert.Equal(("E: one", "trace one"), (attempts[0].Error, attempts[0].Detail));
    }

    [Fact]
    public async Task One_task_is_retried_cancelled_or_rerun_only_from_the_right_status()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a", maxAttempts: 1), Row("b"), Row("c")], None);
        var claims = await Store.ClaimAsync("w", ["t"], default, 2, Lease, None);
        await Store.ApplyOutcomesAsync([
            new(claims[0].Id, batch, claims[0].Version, OutcomeKind.Failed, null, "x", TimeSpan.Zero),
            new(claims[1].Id, batch, claims[1].Version, OutcomeKind.Completed, "{\"n\":1}", null, TimeSpan.Zero)], None);
        var pending = (await Store.ListTasksAsync(new TaskQuery { BatchId = batch, Status = TemTaskStatus.Pending }, None)).Single().Id;
        Assert.False(await Store.RetryTaskAsync(claims[1].Id, None));
        Assert.True(await Store.RetryTaskAsync(claims[0].Id, None));
        Assert.True(await Store.RerunTaskAsync(claims[1].Id, None));
        Assert.True(await Store.CancelTaskAsync(pending, None));
        Assert.Equal(new BatchStats(2, 0, 0, 0, 1), await Store.GetStatsAsync(batch, None));
        Assert.Equal("{\"n\":1}", (await Store.GetAttemptsAsync(claims[1].Id, None)).Single().ResultJson);
        Assert.Equal(3, (await Store.GetHistoryAsync(batch, None)).Count);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => Store.CancelTaskAsync(404, None).AsTask());
    }

    [Fact]
    public async Task Heartbeats_record_the_task_types_a_worker_handles_and_pending_tasks_are_counted_per_type()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "a", [Row("1"), Row("2")], None);
        await Store.EnqueueAsync(batch, "b", [Row("3")], None);
        await Store.HeartbeatAsync(Worker("w") with { TaskTypes = ["a"] }, [], Lease, None);
        Assert.Equal(["a"], (await Store.ListLiveWorkersAsync(None)).Single(w => w.Owner == "w").TaskTypes);
        Assert.Equal([("a", 2L), ("b", 1L)], await Store.GetPendingTypesAsync(batch, None));
    }
}
