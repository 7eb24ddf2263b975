using Tem.Execution;

namespace Tem.Storage.Postgres;

/// <summary>
/// The PostgreSQL store: one schema shared by engines on many machines. The rules run over <see cref="PgLedger"/>
/// (<see cref="RunLedgerAsync{T}"/>); the reads and fused hot paths here are one transaction each (retried while errors
/// are transient) of the statements in <see cref="PgBatchStatements"/>, <see cref="PgTaskStatements"/> and
/// <see cref="PgRunStatements"/>. Each transaction's change set notifies the other engines (<see cref="PgNotifications"/>).
/// </summary>
internal sealed partial class PostgresTemStore : ITemStore, IStoreSignalSource
{
    private readonly PgDatabase _db;
    private PgNotifications? _notifications;
    private EngineSignals? _signals;

    private readonly PgCompletedGroup _completed;
    private readonly PgPlannerStatistics _statistics;

    private PostgresTemStore(PgDatabase db)
    {
        _db = db;
        _completed = new PgCompletedGroup(db);
        _statistics = new PgPlannerStatistics(db);
    }

    public string Description => _db.Description;

    /// <summary>The listener, once an engine attached (tests wait for its first LISTEN).</summary>
    internal PgNotifications? Notifications => _notifications;

    public static async ValueTask<PostgresTemStore> OpenAsync(PostgresStoreOptions options, CancellationToken cancellationToken)
    {
        var owns = options.DataSource is null;
        var dataSource = options.DataSource ?? PgDatabase.BuildDataSource(options.ConnectionString!);
        var db = new PgDatabase(dataSource, owns, options.Schema, options.RetryFor);
        try
        {
            await PgSchema.MigrateAsync(db, options.ReadOnly, cancellationToken).ConfigureAwait(false);
            if (!options.ReadOnly)
            {
                await db.RunAsync(tx => PgTaskStatements.DeleteAbandonedStagedAsync(tx, cancellationToken), cancellationToken).ConfigureAwait(false);
            }

            return new PostgresTemStore(db);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Attach(EngineSignals signals)
    {
        _signals = signals;
        _notifications ??= PgNotifications.Start(_db, signals);
    }

    public async ValueTask<T> RunLedgerAsync<T>(Func<ITemLedger, ValueTask<T>> rules, CancellationToken cancellationToken)
    {
        PgLedger? committed = null;
        var result = await _db.RunAsync(tx =>
        {
            committed = new PgLedger(tx); // a retried transaction starts a fresh change set; the last one committed
            return rules(committed);
        }, cancellationToken).ConfigureAwait(false);
        committed!.Changes.PublishTo(_signals);
        await _statistics.AddedAsync(committed.Changes.Added).ConfigureAwait(false);
        return result;
    }

    // ---- batches ----

    public ValueTask<Batch> CreateBatchAsync(string code, string type, string? metadataJson, string? criteriaJson, CancellationToken cancellationToken)
        => _db.RunAsync(tx => PgBatchStatements.CreateAsync(tx, code, type, metadataJson, criteriaJson, cancellationToken), cancellationToken);

    public ValueTask<Batch?> GetBatchAsync(long batchId, CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgBatchStatements.GetAsync(tx, batchId, cancellationToken), cancellationToken);

    public ValueTask<Batch?> GetBatchByCodeAsync(string code, CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgBatchStatements.GetByCodeAsync(tx, code, cancellationToken), cancellationToken);

    public async ValueTask<IReadOnlyList<Batch>> ListBatchesAsync(string? type, BatchStatus? status, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgBatchStatements.ListAsync(tx, type, status, cancellationToken), cancellationToken).ConfigureAwait(false);

    public ValueTask<BatchStats> GetStatsAsync(long batchId, CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgBatchStatements.StatsAsync(tx, batchId, cancellationToken), cancellationToken);

    public ValueTask<(bool Pending, bool Running)> HasUnfinishedAsync(long batchId, CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgBatchStatements.HasUnfinishedAsync(tx, batchId, cancellationToken), cancellationToken);

    public ValueTask<long> CountPendingAsync(CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgTaskStatements.CountPendingAsync(tx, cancellationToken), cancellationToken);

    public async ValueTask<IReadOnlyList<BatchInterruption>> GetInterruptionsAsync(long batchId, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgBatchStatements.InterruptionsAsync(tx, batchId, cancellationToken), cancellationToken).ConfigureAwait(false);

    public ValueTask<BatchReport> GetReportAsync(Batch batch, int topErrors, CancellationToken cancellationToken)
        => _db.RunAsync(tx => PgReportQuery.ReadAsync(tx, batch, topErrors, cancellationToken), cancellationToken, System.Data.IsolationLevel.RepeatableRead);

    public async ValueTask<IReadOnlyList<BatchEvent>> GetHistoryAsync(long batchId, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgBatchStatements.HistoryAsync(tx, batchId, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(long taskId, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgRunStatements.AttemptsAsync(tx, taskId, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<TaskTypeStats>> GetTypeStatsAsync(long batchId, CancellationToken cancellationToken)
        => TypeStatsRow.Build(await _db.RunStatementAsync(tx => tx.ListAsync("""
            SELECT type, status, COUNT(*), COALESCE(SUM(rate_limit_deferrals), 0)::bigint FROM {s}.task WHERE batch_id = @id AND status <> 'staged'
            GROUP BY type, status;
            """, r => new TypeStatsRow(r.GetString(0), StatusNames.ParseTask(r.GetString(1)), r.GetInt64(2), r.GetInt64(3)), cancellationToken, ("id", batchId)),
            cancellationToken).ConfigureAwait(false));

    public async ValueTask<IReadOnlyList<TaskTypeActivity>> GetTypeActivityAsync(long batchId, TimeSpan window, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgActivityQuery.TypesAsync(tx, batchId, window, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<TaskErrorSighting>> GetRecentErrorsAsync(long batchId, TimeSpan window, int limit, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgActivityQuery.ErrorsAsync(tx, batchId, window, limit, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<(string Type, long Count)>> GetPendingTypesAsync(long batchId, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgRunStatements.PendingTypesAsync(tx, batchId, cancellationToken), cancellationToken).ConfigureAwait(false);

    // ---- enqueue ----

    public ValueTask<long> StageAsync(long batchId, string type, long token, IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
        => _db.RunAsync(async tx =>
        {
            await PgBatchStatements.RequireOpenForEnqueueAsync(tx, batchId, cancellationToken, lockRow: false).ConfigureAwait(false); // staged rows never block completion
            return await PgTaskStatements.InsertManyAsync(tx, batchId, type, tasks, "staged", token, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async ValueTask AbortStagedAsync(long token, CancellationToken cancellationToken)
        => await _db.RunAsync(tx => PgTaskStatements.AbortStagedAsync(tx, token, cancellationToken), cancellationToken).ConfigureAwait(false);

    // ---- task reads ----

    public ValueTask<TemTask?> GetTaskAsync(long taskId, CancellationToken cancellationToken)
        => _db.RunStatementAsync(tx => PgTaskStatements.GetAsync(tx, taskId, cancellationToken), cancellationToken);

    public async ValueTask<IReadOnlyList<TemTask>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
        => await _db.RunStatementAsync(tx => PgTaskStatements.ListAsync(tx, query, cancellationToken), cancellationToken).ConfigureAwait(false);

    // ---- runs ----

    public async ValueTask<IReadOnlyList<ClaimedTask>> ClaimAsync(string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var types = taskTypes.ToArray();
        return await _db.RunStatementAsync(tx => PgRunStatements.ClaimAsync(tx, owner, types, scope, limit, lease, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<TaskOutcome>> ApplyOutcomesAsync(IReadOnlyList<TaskOutcome> outcomes, CancellationToken cancellationToken)
        => (await _completed.TryWriteAsync(outcomes, null, cancellationToken).ConfigureAwait(false))?.Rejected
        ?? await _db.RunAsync(tx => WriteOutcomesAsync(tx, outcomes, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <summary>Outcomes and the worker's refill claim in one transaction: one round trip on the fast path, else one transaction.</summary>
    public async ValueTask<(IReadOnlyList<TaskOutcome> Rejected, IReadOnlyList<ClaimedTask> Claimed)> ApplyOutcomesAndClaimAsync(
        IReadOnlyList<TaskOutcome> outcomes, ClaimRequest refill, CancellationToken cancellationToken)
    {
        if (await _completed.TryWriteAsync(outcomes, refill, cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        var types = refill.TaskTypes.ToArray();
        return await _db.RunAsync<(IReadOnlyList<TaskOutcome>, IReadOnlyList<ClaimedTask>)>(async tx =>
        {
            var rejected = await WriteOutcomesAsync(tx, outcomes, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<ClaimedTask> claimed = refill.Limit > 0
                ? await PgRunStatements.ClaimAsync(tx, refill.Owner, types, refill.Scope, refill.Limit, refill.Lease, cancellationToken).ConfigureAwait(false)
                : [];
            return (rejected, claimed);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The general path: every kind of outcome, the batches' tallies, their criteria and completion.</summary>
    private static async ValueTask<IReadOnlyList<TaskOutcome>> WriteOutcomesAsync(PgSession tx, IReadOnlyList<TaskOutcome> outcomes, CancellationToken cancellationToken)
    {
        var rejected = await PgRunStatements.WriteOutcomesAsync(tx, outcomes, cancellationToken).ConfigureAwait(false);
        var ended = new Dictionary<long, BatchTally>();
        HashSet<long>? refused = null;
        foreach (var outcome in outcomes)
        {
            if (rejected.Contains(outcome))
            {
                continue;
            }

            if (outcome.Kind is OutcomeKind.Completed or OutcomeKind.Failed)
            {
                BatchTally.Add(ended, outcome.BatchId, success: outcome.Kind == OutcomeKind.Completed);
            }
            else if (outcome.Kind == OutcomeKind.Deferred)
            {
                (refused ??= []).Add(outcome.BatchId);
            }
        }

        // Tallies → criteria → completion: the rules written once, over this transaction's ledger.
        var ledger = new PgLedger(tx);
        await OutcomeTallyRules.ApplyAsync(ledger, ended, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            await OutcomeTallyRules.JudgeRefusalsAsync(ledger, refused, cancellationToken).ConfigureAwait(false);
        }

        return rejected;
    }

    public ValueTask<int> HeartbeatAsync(WorkerIdentity owner, IReadOnlyCollection<long> taskIds, TimeSpan lease, CancellationToken cancellationToken)
        => _db.RunAsync(tx => PgRunStatements.HeartbeatAsync(tx, owner, taskIds, lease, cancellationToken), cancellationToken);

    public async ValueTask RemoveWorkerAsync(string owner, CancellationToken cancellationToken)
        => await _db.RunAsync(tx => PgRunStatements.RemoveWorkerAsync(tx, owner, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<WorkerIdentity>> ListLiveWorkersAsync(CancellationToken cancellationToken)
        => await _db.RunAsync(tx => PgRunStatements.LiveWorkersAsync(tx, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Throws when Tem's tables are gone from the schema (dropped or replaced under the engine). An unreachable server
    /// is not "gone": outages are retried, and the heartbeat that follows reports them.
    /// </summary>
    public async ValueTask VerifyAsync(CancellationToken cancellationToken)
    {
        bool present;
        try
        {
            present = await _db.RunAsync(async tx => await tx.ScalarAsync("SELECT to_regclass(@table) IS NOT NULL;", cancellationToken, ("table", _db.Schema + ".task")).ConfigureAwait(false) is true,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TemDatabaseException or OperationCanceledException)
        {
            return;
        }

        if (!present)
        {
            throw new TemDatabaseException(
                $"{Description}: Tem's tables are gone from the schema (dropped or replaced while the engine ran). The worker stopped claiming; restore the schema, or restart the engine to create an empty one.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_notifications is not null)
        {
            await _notifications.DisposeAsync().ConfigureAwait(false);
        }

        await _db.DisposeAsync().ConfigureAwait(false);
    }
}
