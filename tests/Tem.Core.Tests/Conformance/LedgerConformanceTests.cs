using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Conformance;

/// <summary>
/// One test per <see cref="ITemLedger"/> primitive, written once and run against each store's dialect (as River's
/// riverdrivertest runs each driver): the rules above the ledger are written once, so each primitive must do the same
/// thing on every store. Beside it, <see cref="StoreConformanceTests"/> checks the behaviour the engine relies on.
/// </summary>
public abstract partial class LedgerConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;
    private ITemStore? _store;

    internal ITemStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>Opens a new, empty store.</summary>
    internal abstract ValueTask<ITemStore> OpenStoreAsync();

    /// <summary>Returns once <paramref name="lease"/> has passed on the store's clock (moved on, or waited out on the server's).</summary>
    internal abstract ValueTask PassLeaseAsync(TimeSpan lease);

    public async ValueTask InitializeAsync() => _store = await OpenStoreAsync();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private ValueTask<T> Ledger<T>(Func<ITemLedger, ValueTask<T>> work) => Store.RunLedgerAsync(work, None);

    private ValueTask Ledger(Func<ITemLedger, ValueTask> work) => new(Store.RunLedgerAsync(async l =>
    {
        await work(l);
        return true;
    }, None).AsTask());

    private async Task<long> BatchAsync(string code = "b", InterruptionCriteria? criteria = null)
        => (await Store.CreateBatchAsync(code, "test", null, criteria?.ToJson(), None)).Id;

    private async Task<List<ClaimedTask>> EnqueueAndClaimAsync(long batch, int count, int maxAttempts = 3, string owner = "w")
    {
        await Store.EnqueueAsync(batch, "t", [.. Enumerable.Range(0, count).Select(i => new NewTask($"\"{i}\"", maxAttempts, 0, TimeSpan.Zero, null))], None);
        return [.. await Store.ClaimAsync(owner, ["t"], default, count, Lease, None)];
    }

    private async Task CompleteAsync(long batch, IEnumerable<ClaimedTask> claims)
        => Assert.Empty(await Store.ApplyOutcomesAsync([.. claims.Select(c => new TaskOutcome(c.Id, batch, c.Version, OutcomeKind.Completed, "{}", null, TimeSpan.Zero))], None));

    private async Task FailAsync(long batch, ClaimedTask claim)
        => Assert.Empty(await Store.ApplyOutcomesAsync([new TaskOutcome(claim.Id, batch, claim.Version, OutcomeKind.Failed, null, "boom", TimeSpan.Zero)], None));

    private async Task<TemTask> TaskAsync(long taskId) => (await Store.GetTaskAsync(taskId, None))!;

    private async Task<Batch> GetBatchAsync(long batchId) => (await Store.GetBatchAsync(batchId, None))!;

    // ---- batch ----

    [Fact]
    public async Task BatchGetStatus_reads_the_status_or_null()
    {
        var batch = await BatchAsync();
        Assert.Equal(BatchStatus.Active, await Ledger(l => l.BatchGetStatusAsync(batch, forUpdate: true, None)));
        Assert.Equal(BatchStatus.Active, await Ledger(l => l.BatchGetStatusAsync(batch, forUpdate: false, None)));
        Assert.Null(await Ledger(l => l.BatchGetStatusAsync(batch + 1000, forUpdate: false, None)));
    }

    [Fact]
    public async Task BatchRestart_makes_the_batch_active_with_fresh_counters_and_keeps_its_completion_time()
    {
        var batch = await BatchAsync(criteria: new InterruptionCriteria { MaxFailedTasks = 100 });
        var failure = new BatchTally();
        failure.Record(success: false);
        await Ledger(l => l.BatchAddTallyAsync(batch, failure, None));
        await Ledger(l => l.BatchInterruptIfActiveAsync(batch, None));
        await Ledger(l => l.BatchRestartAsync(batch, None));
        Assert.Equal(BatchStatus.Active, (await GetBatchAsync(batch)).Status);
        var counters = (await Ledger(l => l.BatchAddTallyAsync(batch, failure, None)))!.Value.Counters;
        Assert.Equal((0L, 1L, 1L, (long?)null), (counters.Completed, counters.Failed, counters.ConsecutiveFailures, counters.StartedAtMs));

        var completed = await BatchAsync("completed");
        await CompleteAsync(completed, await EnqueueAndClaimAsync(completed, 1));
        var at = (await GetBatchAsync(completed)).CompletedAt;
        await Ledger(l => l.BatchRestartAsync(completed, None));
        var restarted = await GetBatchAsync(completed);
        Assert.Equal((BatchStatus.Active, at), (restarted.Status, restarted.CompletedAt));
    }

    [Fact]
    public async Task BatchReopen_clears_the_completion_time_of_an_active_batch_only()
    {
        var batch = await BatchAsync();
        await CompleteAsync(batch, await EnqueueAndClaimAsync(batch, 1));
        Assert.NotNull((await GetBatchAsync(batch)).CompletedAt);
        await Ledger(l => l.BatchReopenAsync(batch, None)); // completed, not active: unchanged
        Assert.NotNull((await GetBatchAsync(batch)).CompletedAt);
        await Ledger(l => l.BatchRestartAsync(batch, None));
        await Ledger(l => l.BatchReopenAsync(batch, None));
        Assert.Null((await GetBatchAsync(batch)).CompletedAt);
    }

    [Fact]
    public async Task BatchReactivate_turns_only_a_completed_batch_active()
    {
        var batch = await BatchAsync();
        Assert.False(await Ledger(l => l.BatchReactivateAsync(batch, None)));
        await CompleteAsync(batch, await EnqueueAndClaimAsync(batch, 1));
        Assert.True(await Ledger(l => l.BatchReactivateAsync(batch, None)));
        var reactivated = await GetBatchAsync(batch);
        Assert.Equal(BatchStatus.Active, reactivated.Status);
        Assert.Null(reactivated.CompletedAt);
    }

    [Fact]
    public async Task BatchCompleteIfDone_completes_an_active_batch_with_tasks_none_left_to_run()
    {
        var empty = await BatchAsync("empty");
        Assert.False(await Ledger(l => l.BatchCompleteIfDoneAsync(empty, None))); // no tasks: never complete
        var batch = await BatchAsync();
        await EnqueueAndClaimAsync(batch, 1);
        Assert.False(await Ledger(l => l.BatchCompleteIfDoneAsync(batch, None))); // running
        await Ledger(l => l.TaskCancelUnfinishedManyAsync(batch, None));
        Assert.True(await Ledger(l => l.BatchCompleteIfDoneAsync(batch, None)));
        Assert.Equal(BatchStatus.Completed, (await GetBatchAsync(batch)).Status);
        Assert.False(await Ledger(l => l.BatchCompleteIfDoneAsync(batch, None))); // not active any more
    }

    [Fact]
    public async Task BatchSetCancelled_cancels_the_batch_and_stamps_its_end()
    {
        var batch = await BatchAsync();
        await Ledger(l => l.BatchSetCancelledAsync(batch, None));
        var cancelled = await GetBatchAsync(batch);
        Assert.Equal(BatchStatus.Cancelled, cancelled.Status);
        Assert.NotNull(cancelled.CompletedAt);
    }

    [Fact]
    public async Task BatchInterruptIfActive_interrupts_only_an_active_batch()
    {
        var batch = await BatchAsync();
        Assert.True(await Ledger(l => l.BatchInterruptIfActiveAsync(batch, None)));
        Assert.Equal(BatchStatus.Interrupted, (await GetBatchAsync(batch)).Status);
        Assert.False(await Ledger(l => l.BatchInterruptIfActiveAsync(batch, None)));
        Assert.Empty(await Store.GetInterruptionsAsync(batch, None)); // the record is the rules' own primitive
    }

    [Fact]
    public async Task BatchGetStats_counts_tasks_per_status()
    {
        var batch = await BatchAsync();
        var claims = await EnqueueAndClaimAsync(batch, 3);
        await CompleteAsync(batch, claims.Take(1));
        await FailAsync(batch, claims[1]);
        await Store.EnqueueAsync(batch, "t", [new NewTask("\"p\"", 3, 0, TimeSpan.Zero, null)], None);
        Assert.Equal(new BatchStats(1, 1, 1, 1, 0), await Ledger(l => l.BatchGetStatsAsync(batch, None)));
    }

    [Fact]
    public async Task BatchInterruptionInsert_records_kind_reason_and_stats()
    {
        var batch = await BatchAsync();
        await Ledger(l => l.BatchInterruptionInsertAsync(batch, InterruptionKind.Manual, "why", new BatchStats(1, 2, 3, 4, 5), None));
        var interruption = Assert.Single(await Store.GetInterruptionsAsync(batch, None));
        Assert.Equal("why", interruption.Reason);
        Assert.Equal(InterruptionKind.Manual, interruption.Kind);
        Assert.Equal(new BatchStats(1, 2, 3, 4, 5), interruption.Stats);
    }

    [Fact]
    public async Task BatchEventInsert_adds_to_the_history_newest_first()
    {
        var batch = await BatchAsync();
        await Ledger(l => l.BatchEventInsertAsync(batch, "first", "one", None));
        await Ledger(l => l.BatchEventInsertAsync(batch, "second", "two", None));
        Assert.Equal(["second", "first"], (await Store.GetHistoryAsync(batch, None)).Select(e => e.Kind));
    }
}
