using Tem.Execution;

namespace Tem.Storage;

/// <summary>
/// The SQLite store: one file, one process or several on one machine. The rules run over <see cref="SqliteLedger"/>
/// (<see cref="RunLedgerAsync{T}"/>); the reads and the fused hot paths here are one transaction each of the statements
/// in <see cref="SqliteBatchStatements"/>, <see cref="SqliteTaskStatements"/> and <see cref="SqliteRunStatements"/>;
/// <see cref="SqliteDatabase"/> owns the connections. SQLite's calls are
/// synchronous, so every method completes synchronously.
/// </summary>
internal sealed partial class SqliteTemStore : ITemStore, IStoreSignalSource
{
    private readonly SqliteDatabase _db;

    private SqliteTemStore(SqliteDatabase db) => _db = db;

    private EngineSignals? _signals;

    public string Description => _db.Path;

    /// <summary>The engine's signals: this store's change sets go there once committed (other processes' changes are found by polling).</summary>
    public void Attach(EngineSignals signals) => _signals = signals;

    public ValueTask<T> RunLedgerAsync<T>(Func<ITemLedger, ValueTask<T>> rules, CancellationToken cancellationToken)
    {
        var (result, changes) = _db.Write(write =>
        {
            var ledger = new SqliteLedger(write);
            return (SqliteLedger.Run(rules(ledger)), ledger.Changes);
        });
        changes.PublishTo(_signals);
        return new(result);
    }

    public static SqliteTemStore Open(SqliteStoreOptions options, TimeProvider clock)
    {
        var db = SqliteDatabase.Open(options, clock);
        try
        {
            if (!db.ReadOnly)
            {
                db.Write(SqliteTaskStatements.DeleteAbandonedStaged);
            }

            return new SqliteTemStore(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    // ---- batches ----

    public ValueTask<Batch> CreateBatchAsync(string code, string type, string? metadataJson, string? criteriaJson, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteBatchStatements.Create(write, code, type, metadataJson, criteriaJson)));

    public ValueTask<Batch?> GetBatchAsync(long batchId, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteBatchStatements.Get(read, batchId)));

    public ValueTask<Batch?> GetBatchByCodeAsync(string code, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteBatchStatements.GetByCode(read, code)));

    public ValueTask<IReadOnlyList<Batch>> ListBatchesAsync(string? type, BatchStatus? status, CancellationToken cancellationToken)
        => Done<IReadOnlyList<Batch>>(_db.Read(read => SqliteBatchStatements.List(read, type, status)));

    public ValueTask<BatchStats> GetStatsAsync(long batchId, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteBatchStatements.Stats(read, batchId)));

    public ValueTask<IReadOnlyList<TaskTypeActivity>> GetTypeActivityAsync(long batchId, TimeSpan window, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteActivityQuery.Types(read, batchId, _db.NowMs() - (long)window.TotalMilliseconds, _db.NowMs())));

    public ValueTask<IReadOnlyList<TaskErrorSighting>> GetRecentErrorsAsync(long batchId, TimeSpan window, int limit, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteActivityQuery.Errors(read, batchId, _db.NowMs() - (long)window.TotalMilliseconds, limit)));

    public ValueTask<(bool Pending, bool Running)> HasUnfinishedAsync(long batchId, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteBatchStatements.HasUnfinished(read, batchId)));

    public ValueTask<long> CountPendingAsync(CancellationToken cancellationToken)
        => Done(_db.Read(SqliteTaskStatements.CountPending));

    public ValueTask<IReadOnlyList<BatchInterruption>> GetInterruptionsAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<BatchInterruption>>(_db.Read(read => SqliteBatchStatements.Interruptions(read, batchId)));

    public ValueTask<BatchReport> GetReportAsync(Batch batch, int topErrors, CancellationToken cancellationToken)
        => Done(_db.ReadSnapshot(read => SqliteReportQuery.Read(read, batch, topErrors)));

    public ValueTask<IReadOnlyList<BatchEvent>> GetHistoryAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<BatchEvent>>(_db.Read(read => SqliteBatchStatements.History(read, batchId)));

    // ---- enqueue ----

    public ValueTask<long> StageAsync(long batchId, string type, long token, IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
        => Done(_db.Write(write =>
        {
            SqliteBatchStatements.RequireOpenForEnqueue(write, batchId);
            return SqliteStagedEnqueue.Stage(write, token, tasks);
        }));

    public ValueTask AbortStagedAsync(long token, CancellationToken cancellationToken)
    {
        _db.Write(write =>
        {
            SqliteStagedEnqueue.Abort(write, token);
            return 0;
        });
        return ValueTask.CompletedTask;
    }

    // ---- task reads ----

    public ValueTask<TemTask?> GetTaskAsync(long taskId, CancellationToken cancellationToken)
        => Done(_db.Read(read => SqliteTaskStatements.Get(read, taskId)));

    public ValueTask<IReadOnlyList<TemTask>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
        => Done<IReadOnlyList<TemTask>>(_db.Read(read => SqliteTaskStatements.List(read, query)));

    public ValueTask<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(long taskId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<TaskAttempt>>(_db.Read(read => SqliteRunStatements.Attempts(read, taskId)));

    // ---- runs ----

    public ValueTask<IReadOnlyList<ClaimedTask>> ClaimAsync(string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var typesJson = JsonStrings(taskTypes);
        return Done<IReadOnlyList<ClaimedTask>>(_db.Write(write => SqliteRunStatements.ClaimTasks(write, owner, typesJson, scope, limit, lease)));
    }

    public ValueTask<IReadOnlyList<TaskOutcome>> ApplyOutcomesAsync(IReadOnlyList<TaskOutcome> outcomes, CancellationToken cancellationToken)
        => Done<IReadOnlyList<TaskOutcome>>(_db.Write(write => ApplyOutcomes(write, outcomes)));

    public ValueTask<(IReadOnlyList<TaskOutcome> Rejected, IReadOnlyList<ClaimedTask> Claimed)> ApplyOutcomesAndClaimAsync(
        IReadOnlyList<TaskOutcome> outcomes, ClaimRequest refill, CancellationToken cancellationToken)
    {
        var typesJson = refill.Limit > 0 ? JsonStrings(refill.TaskTypes) : "";
        return Done(_db.Write(write =>
        {
            var rejected = ApplyOutcomes(write, outcomes);
            IReadOnlyList<ClaimedTask> claimed = refill.Limit > 0
                ? SqliteRunStatements.ClaimTasks(write, refill.Owner, typesJson, refill.Scope, refill.Limit, refill.Lease)
                : [];
            return (rejected, claimed);
        }));
    }

    /// <summary>The fused hot path of a worker: one conditional statement per outcome, then the tally rules, in the caller's transaction.</summary>
    private static IReadOnlyList<TaskOutcome> ApplyOutcomes(SqliteWrite write, IReadOnlyList<TaskOutcome> outcomes)
    {
        var rejected = new List<TaskOutcome>();
        var ended = new Dictionary<long, BatchTally>();
        HashSet<long>? refused = null;
        foreach (var outcome in outcomes)
        {
            if (SqliteRunStatements.WriteOutcome(write, outcome) == 0)
            {
                rejected.Add(outcome);
            }
            else if (outcome.Kind is OutcomeKind.Completed or OutcomeKind.Failed)
            {
                BatchTally.Add(ended, outcome.BatchId, success: outcome.Kind == OutcomeKind.Completed);
            }
            else if (outcome.Kind == OutcomeKind.Deferred)
            {
                (refused ??= []).Add(outcome.BatchId);
            }
        }

        if (ended.Count == 0 && refused is null)
        {
            return rejected;
        }

        // Tallies → criteria → completion: the rules written once, over this transaction's ledger.
        var ledger = new SqliteLedger(write);
        SqliteLedger.Run(OutcomeTallyRules.ApplyAsync(ledger, ended, CancellationToken.None));
        if (refused is not null)
        {
            SqliteLedger.Run(OutcomeTallyRules.JudgeRefusalsAsync(ledger, refused, CancellationToken.None));
        }

        return rejected;
    }

    public ValueTask<int> HeartbeatAsync(WorkerIdentity owner, IReadOnlyCollection<long> taskIds, TimeSpan lease, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteRunStatements.Heartbeat(write, owner, taskIds, lease)));

    public ValueTask RemoveWorkerAsync(string owner, CancellationToken cancellationToken)
    {
        _db.Write(write =>
        {
            SqliteRunStatements.RemoveWorker(write, owner);
            return 0;
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<(string Type, long Count)>> GetPendingTypesAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<(string Type, long Count)>>(_db.Read(read => SqliteRunStatements.PendingTypes(read, batchId)));

    public ValueTask<IReadOnlyList<WorkerIdentity>> ListLiveWorkersAsync(CancellationToken cancellationToken)
        => Done<IReadOnlyList<WorkerIdentity>>(_db.Read(read => SqliteRunStatements.LiveWorkers(read, _db.NowMs())));

    public ValueTask VerifyAsync(CancellationToken cancellationToken)
    {
        _db.VerifyFileIsStillThere();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _db.Dispose();
        return ValueTask.CompletedTask;
    }

    private static ValueTask<T> Done<T>(T value) => new(value);

    private static string JsonStrings(IEnumerable<string> values)
        => System.Text.Json.JsonSerializer.Serialize(values.ToArray(), TemCoreJsonContext.Default.StringArray);
}
