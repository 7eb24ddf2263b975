using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Conformance;

public abstract partial class LedgerConformanceTests
{
    [Fact]
    public async Task BatchListRuntimeBound_lists_active_started_batches_with_a_runtime_criterion_and_the_clock()
    {
        var bound = await BatchAsync("bound", new InterruptionCriteria { MaxRuntime = TimeSpan.FromHours(1) });
        await BatchAsync("unstarted", new InterruptionCriteria { MaxRuntime = TimeSpan.FromHours(1) });
        var unbound = await BatchAsync("unbound", new InterruptionCriteria { MaxFailedTasks = 3 });
        await EnqueueAndClaimAsync(bound, 1);
        await EnqueueAndClaimAsync(unbound, 1);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (batches, now) = await Ledger(l => l.BatchListRuntimeBoundAsync(None));
        var listed = Assert.Single(batches);
        Assert.Equal(bound, listed.Id);
        Assert.Contains("maxRuntimeMs", listed.CriteriaJson);
        Assert.InRange(listed.StartedAtMs, before - 60_000, now);
        Assert.InRange(now, before - 60_000, before + 60_000);
    }

    [Fact]
    public async Task BatchGetCriteriaIfActive_reads_the_criteria_of_an_active_batch_only()
    {
        var batch = await BatchAsync(criteria: new InterruptionCriteria { MaxRateLimitHits = 3 });
        Assert.Contains("maxRateLimitHits", await Ledger(l => l.BatchGetCriteriaIfActiveAsync(batch, None)));
        var none = await BatchAsync("none");
        Assert.Null(await Ledger(l => l.BatchGetCriteriaIfActiveAsync(none, None)));
        await Ledger(l => l.BatchInterruptIfActiveAsync(batch, None));
        Assert.Null(await Ledger(l => l.BatchGetCriteriaIfActiveAsync(batch, None)));
    }

    [Fact]
    public async Task BatchAddTally_adds_to_an_active_batch_counters_and_returns_them()
    {
        var batch = await BatchAsync(criteria: new InterruptionCriteria { MaxFailedTasks = 100 });
        await EnqueueAndClaimAsync(batch, 1); // started
        var tally = new BatchTally();
        tally.Record(success: true);
        tally.Record(success: false);
        tally.Record(success: false);
        var first = await Ledger(l => l.BatchAddTallyAsync(batch, tally, None));
        Assert.NotNull(first);
        Assert.Equal((1L, 2L, 2L), (first.Value.Counters.Completed, first.Value.Counters.Failed, first.Value.Counters.ConsecutiveFailures));
        Assert.NotNull(first.Value.Counters.StartedAtMs);
        Assert.Contains("maxFailedTasks", first.Value.Counters.CriteriaJson);
        var failure = new BatchTally();
        failure.Record(success: false);
        var second = await Ledger(l => l.BatchAddTallyAsync(batch, failure, None));
        Assert.Equal((1L, 3L, 3L), (second!.Value.Counters.Completed, second.Value.Counters.Failed, second.Value.Counters.ConsecutiveFailures));
        await Ledger(l => l.BatchInterruptIfActiveAsync(batch, None));
        Assert.Null(await Ledger(l => l.BatchAddTallyAsync(batch, failure, None)));
    }

    [Fact]
    public async Task TaskGetBatchId_finds_the_batch_of_a_task_or_null()
    {
        var batch = await BatchAsync();
        var claim = (await EnqueueAndClaimAsync(batch, 1))[0];
        Assert.Equal(batch, await Ledger(l => l.TaskGetBatchIdAsync(claim.Id, None)));
        Assert.Null(await Ledger(l => l.TaskGetBatchIdAsync(claim.Id + 1000, None)));
    }

    [Fact]
    public async Task TaskCountUpTo_counts_no_further_than_the_limit()
    {
        var batch = await BatchAsync();
        await EnqueueAndClaimAsync(batch, 5);
        Assert.Equal(3, await Ledger(l => l.TaskCountUpToAsync(batch, 3, None)));
        Assert.Equal(5, await Ledger(l => l.TaskCountUpToAsync(batch, 50, None)));
    }

    [Fact]
    public async Task TaskAttemptCountRecent_counts_one_outcome_within_the_window()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 3);
        await Store.ApplyOutcomesAsync([
            new(claims[0].Id, batch, claims[0].Version, OutcomeKind.Deferred, null, "429", TimeSpan.FromHours(1)),
            new(claims[1].Id, batch, claims[1].Version, OutcomeKind.Deferred, null, "429", TimeSpan.FromHours(1)),
            new(claims[2].Id, batch, claims[2].Version, OutcomeKind.Retry, null, "boom", TimeSpan.FromHours(1))], None);
        Assert.Equal(2, await Ledger(l => l.TaskAttemptCountRecentAsync(batch, AttemptNames.Deferred, TimeSpan.FromMinutes(5), None)));
        Assert.Equal(0, await Ledger(l => l.TaskAttemptCountRecentAsync(batch, AttemptNames.Overloaded, TimeSpan.FromMinutes(5), None)));
    }

    [Fact]
    public async Task TaskCancelUnfinishedMany_cancels_pending_and_running_tasks_and_drops_leases()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 2);
        await CompleteAsync(batch, claims.Take(1));
        await Store.EnqueueAsync(batch, "t", [new NewTask("\"p\"", 3, 0, TimeSpan.Zero, null)], None);
        Assert.Equal(2, await Ledger(l => l.TaskCancelUnfinishedManyAsync(batch, None)));
        var running = await TaskAsync(claims[1].Id);
        Assert.Equal(TemTaskStatus.Cancelled, running.Status);
        Assert.Null(running.LeaseOwner);
        Assert.Equal(TemTaskStatus.Completed, (await TaskAsync(claims[0].Id)).Status);
    }

    [Fact]
    public async Task TaskResetFailedMany_returns_failed_tasks_with_fresh_attempts()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 2, maxAttempts: 1);
        await FailAsync(batch, claims[0]);
        Assert.Equal(1, await Ledger(l => l.TaskResetFailedManyAsync(batch, None)));
        var reset = await TaskAsync(claims[0].Id);
        Assert.Equal((TemTaskStatus.Pending, 0, (string?)null), (reset.Status, reset.Attempt, reset.Error));
        Assert.Equal(TemTaskStatus.Running, (await TaskAsync(claims[1].Id)).Status);
    }

    [Fact]
    public async Task TaskResetIfFailed_TaskCancelIfPending_TaskResetIfCompleted_change_only_their_status()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 2, maxAttempts: 1);
        await FailAsync(batch, claims[0]);
        await CompleteAsync(batch, claims.Skip(1));
        var (failed, completed) = (claims[0].Id, claims[1].Id);
        Assert.False(await Ledger(l => l.TaskResetIfFailedAsync(completed, None)));
        Assert.False(await Ledger(l => l.TaskResetIfCompletedAsync(failed, None)));
        Assert.False(await Ledger(l => l.TaskCancelIfPendingAsync(failed, None)));
        Assert.True(await Ledger(l => l.TaskResetIfFailedAsync(failed, None)));
        var retried = await TaskAsync(failed);
        Assert.Equal((TemTaskStatus.Pending, 0, (string?)null), (retried.Status, retried.Attempt, retried.Error));
        Assert.True(await Ledger(l => l.TaskCancelIfPendingAsync(failed, None)));
        Assert.Equal(TemTaskStatus.Cancelled, (await TaskAsync(failed)).Status);
        Assert.True(await Ledger(l => l.TaskResetIfCompletedAsync(completed, None)));
        var rerun = await TaskAsync(completed);
        Assert.Equal((TemTaskStatus.Pending, 0, (string?)null), (rerun.Status, rerun.Attempt, rerun.ResultJson));
    }

    [Fact]
    public async Task TaskAttemptInsertResult_keeps_a_completed_task_result_in_its_history()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 2);
        await CompleteAsync(batch, claims.Take(1));
        await Ledger(l => l.TaskAttemptInsertResultAsync(claims[0].Id, None));
        await Ledger(l => l.TaskAttemptInsertResultAsync(claims[1].Id, None)); // running: nothing kept
        var kept = Assert.Single(await Store.GetAttemptsAsync(claims[0].Id, None));
        Assert.Equal((TaskAttemptOutcome.Completed, "{}"), (kept.Outcome, kept.ResultJson));
        Assert.Empty(await Store.GetAttemptsAsync(claims[1].Id, None));
    }

    [Fact]
    public async Task TaskAttemptInsertLostMany_and_TaskReleaseLostMany_end_the_runs_of_dead_owners()
    {
        var batch = await BatchAsync();
        var dead = await EnqueueAndClaimAsync(batch, 2, maxAttempts: 1, owner: "dead");
        var live = await EnqueueAndClaimAsync(batch, 1, owner: "live");
        var runs = LostRuns.OfBatch(batch, ["live"]);
        await Ledger(l => l.TaskAttemptInsertLostManyAsync(runs, None));
        Assert.Equal(TaskAttemptOutcome.Lost, Assert.Single(await Store.GetAttemptsAsync(dead[0].Id, None)).Outcome);
        Assert.Empty(await Store.GetAttemptsAsync(live[0].Id, None));
        var released = await Ledger(l => l.TaskReleaseLostManyAsync(runs, TimeSpan.FromHours(1), None));
        Assert.Equal([(batch, true), (batch, true)], released);
        var failed = await TaskAsync(dead[0].Id);
        Assert.Equal(TemTaskStatus.Failed, failed.Status);
        Assert.Contains("was lost", failed.Error);
        Assert.Equal(TemTaskStatus.Running, (await TaskAsync(live[0].Id)).Status);
    }

    [Fact]
    public async Task TaskReleaseLostMany_returns_expired_runs_to_pending_after_the_delay()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [new NewTask("\"x\"", 3, 0, TimeSpan.Zero, null)], None);
        var claim = (await Store.ClaimAsync("w", ["t"], default, 1, TimeSpan.FromMilliseconds(1), None)).Single();
        await PassLeaseAsync(TimeSpan.FromMilliseconds(1));
        var released = await Ledger(l => l.TaskReleaseLostManyAsync(LostRuns.Expired, TimeSpan.FromHours(1), None));
        Assert.Equal([(batch, false)], released);
        var pending = await TaskAsync(claim.Id);
        Assert.Equal((TemTaskStatus.Pending, (string?)null), (pending.Status, pending.LeaseOwner));
        Assert.True(pending.RunAfter > DateTimeOffset.UtcNow.AddMinutes(30), "the returned task waits the lost-run delay");
    }

    [Fact]
    public async Task WorkerDeleteExpired_deletes_only_heartbeats_expired_longer_ago_than_given()
    {
        await Store.HeartbeatAsync(new WorkerIdentity("soon", "host", 1), [], TimeSpan.FromMinutes(10), None);
        await Store.HeartbeatAsync(new WorkerIdentity("later", "host", 2), [], TimeSpan.FromHours(2), None);
        await Ledger(l => l.WorkerDeleteExpiredAsync(TimeSpan.FromHours(1), None)); // neither has expired
        Assert.Equal(["later", "soon"], (await Store.ListLiveWorkersAsync(None)).Select(w => w.Owner));
        await Ledger(l => l.WorkerDeleteExpiredAsync(TimeSpan.FromMinutes(-30), None)); // a cutoff 30 min ahead: "soon" only
        Assert.Equal(["later"], (await Store.ListLiveWorkersAsync(None)).Select(w => w.Owner));
        await Ledger(l => l.WorkerDeleteExpiredAsync(TimeSpan.FromHours(-3), None));
        Assert.Empty(await Store.ListLiveWorkersAsync(None));
    }

    [Fact]
    public async Task A_ledger_transaction_that_throws_changes_nothing()
    {
        var batch = await BatchAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Ledger<bool>(async l =>
        {
            await l.BatchInterruptIfActiveAsync(batch, None);
            throw new InvalidOperationException("rolled back");
        }));
        Assert.Equal(BatchStatus.Active, (await GetBatchAsync(batch)).Status);
    }
}
