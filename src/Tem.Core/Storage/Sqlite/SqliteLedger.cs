namespace Tem.Storage;

/// <summary>
/// The <see cref="ITemLedger"/> primitives of a SQLite file, each one statement in the write transaction it wraps.
/// SQLite's calls are synchronous, so every method completes synchronously and <see cref="Run{T}"/> takes the rules'
/// result at once. The statements shared with the store's fused paths stay in <see cref="SqliteBatchStatements"/>.
/// </summary>
internal sealed class SqliteLedger(SqliteWrite write) : ITemLedger
{
    public StoreChanges Changes { get; } = new();

    /// <summary>Runs <paramref name="work"/> (rules over this ledger) to the end: every await in it completes synchronously here.</summary>
    public static T Run<T>(ValueTask<T> work) => work.IsCompleted
        ? work.Result
        : throw new InvalidOperationException("A SQLite ledger statement yielded; SQLite's calls are synchronous, so this is a bug in Tem.");

    /// <summary>As <see cref="Run{T}"/>, for rules with no result.</summary>
    public static void Run(ValueTask work)
    {
        if (!work.IsCompleted)
        {
            throw new InvalidOperationException("A SQLite ledger statement yielded; SQLite's calls are synchronous, so this is a bug in Tem.");
        }

        work.GetAwaiter().GetResult();
    }

    // ---- batch ----

    public ValueTask<BatchStatus?> BatchGetStatusAsync(long batchId, bool forUpdate, CancellationToken ct)
        => new(SqliteBatchStatements.Status(write, batchId));

    public ValueTask BatchRestartAsync(long batchId, CancellationToken ct)
    {
        write.Execute("""
            UPDATE batch SET status = 'active', started_at = NULL,
                run_completed = 0, run_failed = 0, consecutive_failures = 0
            WHERE id = $id;
            """, ("$id", batchId));
        return ValueTask.CompletedTask;
    }

    public ValueTask BatchReopenAsync(long batchId, CancellationToken ct)
    {
        SqliteBatchStatements.Reopen(write, batchId);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> BatchReactivateAsync(long batchId, CancellationToken ct) => new(SqliteBatchStatements.Reactivate(write, batchId) > 0);

    public ValueTask<bool> BatchCompleteIfDoneAsync(long batchId, CancellationToken ct) => new(SqliteBatchStatements.CompleteIfDone(write, batchId) > 0);

    public ValueTask BatchSetCancelledAsync(long batchId, CancellationToken ct)
    {
        write.Execute("UPDATE batch SET status = 'cancelled', completed_at = $now WHERE id = $id;", ("$id", batchId), ("$now", write.NowMs));
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> BatchInterruptIfActiveAsync(long batchId, CancellationToken ct)
        => new(write.Execute("UPDATE batch SET status = 'interrupted' WHERE id = $id AND status = 'active';", ("$id", batchId)) > 0);

    public ValueTask<BatchStats> BatchGetStatsAsync(long batchId, CancellationToken ct) => new(SqliteBatchStatements.Stats(write.AsRead(), batchId));

    public ValueTask BatchInterruptionInsertAsync(long batchId, InterruptionKind kind, string reason, BatchStats stats, CancellationToken ct)
    {
        write.Execute("""
            INSERT INTO batch_interruption (batch_id, reason, created_at, pending, running, completed, failed, cancelled, kind)
            VALUES ($id, $reason, $now, $pending, $running, $completed, $failed, $cancelled, $kind);
            """, ("$id", batchId), ("$reason", reason), ("$now", write.NowMs), ("$pending", stats.Pending), ("$running", stats.Running),
            ("$completed", stats.Completed), ("$failed", stats.Failed), ("$cancelled", stats.Cancelled), ("$kind", InterruptionNames.ToText(kind)));
        return ValueTask.CompletedTask;
    }

    public ValueTask BatchEventInsertAsync(long batchId, string kind, string message, CancellationToken ct)
    {
        SqliteBatchStatements.Record(write, batchId, kind, message);
        return ValueTask.CompletedTask;
    }

    public ValueTask<(IReadOnlyList<(long Id, string CriteriaJson, long StartedAtMs)> Batches, long NowMs)> BatchListRuntimeBoundAsync(CancellationToken ct)
        => new((write.AsRead().List("""
            SELECT id, interruption_criteria, started_at FROM batch
            WHERE status = 'active' AND started_at IS NOT NULL AND interruption_criteria LIKE '%maxRuntimeMs%';
            """, r => (r.GetInt64(0), r.GetString(1), r.GetInt64(2))), write.NowMs));

    public ValueTask<string?> BatchGetCriteriaIfActiveAsync(long batchId, CancellationToken ct)
        => new(write.AsRead().List("SELECT interruption_criteria FROM batch WHERE id = $id AND status = 'active';",
            r => r.IsDBNull(0) ? null : r.GetString(0), ("$id", batchId)).FirstOrDefault());

    public ValueTask<(BatchCounters Counters, long NowMs)?> BatchAddTallyAsync(long batchId, BatchTally tally, CancellationToken ct)
        => new(SqliteBatchStatements.AddTally(write, batchId, tally) is { } counters ? (counters, write.NowMs) : null);

    // ---- task ----

    public ValueTask<long> TaskInsertManyAsync(long batchId, string type, IReadOnlyList<NewTask> tasks, CancellationToken ct)
        => new(SqliteTaskStatements.InsertMany(write, batchId, type, tasks, "pending", token: null));

    public ValueTask<(long Id, bool Inserted)> TaskInsertOneAsync(long batchId, string type, NewTask task, CancellationToken ct)
        => new(SqliteTaskStatements.InsertOne(write, batchId, type, task));

    public ValueTask<long> TaskCommitStagedAsync(long batchId, string type, long token, CancellationToken ct)
        => new(SqliteStagedEnqueue.Commit(write, batchId, type, token));

    public ValueTask<long?> TaskGetBatchIdAsync(long taskId, CancellationToken ct)
        => new(write.AsRead().List("SELECT batch_id FROM task WHERE id = $id AND status <> 'staged';", r => r.GetInt64(0), ("$id", taskId)) is [var id] ? id : null);

    public ValueTask<long> TaskCountUpToAsync(long batchId, int limit, CancellationToken ct) => new((long)write.Hot(
        "SELECT COUNT(*) FROM (SELECT 1 FROM task WHERE batch_id = $id AND status <> 'staged' LIMIT $limit);",
        ("$id", batchId), ("$limit", limit)).ExecuteScalar()!);

    public ValueTask<long> TaskAttemptCountRecentAsync(long batchId, string outcome, TimeSpan window, CancellationToken ct) => new((long)write.Hot(
        "SELECT COUNT(*) FROM task_attempt WHERE batch_id = $id AND outcome = $outcome AND ended_at > $since;",
        ("$id", batchId), ("$outcome", outcome), ("$since", write.NowMs - (long)window.TotalMilliseconds)).ExecuteScalar()!);

    public ValueTask<int> TaskCancelUnfinishedManyAsync(long batchId, CancellationToken ct) => new(write.Execute("""
        UPDATE task SET status = 'cancelled', completed_at = $now, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE batch_id = $id AND status IN ('pending', 'running');
        """, ("$id", batchId), ("$now", write.NowMs)));

    public ValueTask<int> TaskResetFailedManyAsync(long batchId, CancellationToken ct) => new(write.Execute("""
        UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = $now, completed_at = NULL, version = version + 1
        WHERE batch_id = $id AND status = 'failed';
        """, ("$id", batchId), ("$now", write.NowMs)));

    public ValueTask<bool> TaskResetIfFailedAsync(long taskId, CancellationToken ct) => Steer(taskId, """
        UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = $now, completed_at = NULL, version = version + 1
        WHERE id = $id AND status = 'failed';
        """);

    public ValueTask<bool> TaskCancelIfPendingAsync(long taskId, CancellationToken ct) => Steer(taskId, """
        UPDATE task SET status = 'cancelled', completed_at = $now, version = version + 1
        WHERE id = $id AND status = 'pending';
        """);

    public ValueTask<bool> TaskResetIfCompletedAsync(long taskId, CancellationToken ct) => Steer(taskId, """
        UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, result = NULL, error = NULL, run_after = $now,
            completed_at = NULL, version = version + 1
        WHERE id = $id AND status = 'completed';
        """);

    public ValueTask TaskAttemptInsertResultAsync(long taskId, CancellationToken ct)
    {
        write.Execute("""
            INSERT INTO task_attempt (task_id, batch_id, attempt, outcome, result, claimed_at, ended_at)
            SELECT id, batch_id, attempt, 'completed', result, claimed_at, COALESCE(completed_at, $now) FROM task WHERE id = $id AND status = 'completed';
            """, ("$id", taskId), ("$now", write.NowMs));
        return ValueTask.CompletedTask;
    }

    public ValueTask TaskAttemptInsertLostManyAsync(LostRuns runs, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        write.Execute($"""
            INSERT INTO task_attempt (task_id, batch_id, attempt, outcome, error, claimed_at, ended_at)
            SELECT id, batch_id, attempt, 'lost', 'The process running this attempt stopped (crashed, was killed or froze) before reporting an outcome.', claimed_at, $now
            FROM task WHERE {where};
            """, [("$now", write.NowMs), .. parameters]);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<(long BatchId, bool Failed)>> TaskReleaseLostManyAsync(LostRuns runs, TimeSpan lostRunDelay, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        IReadOnlyList<(long BatchId, bool Failed)> rows = write.AsRead().List($"""
            UPDATE task SET
                status = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
                error = CASE WHEN attempt >= max_attempts
                    THEN 'Attempt ' || attempt || ' of ' || max_attempts || ' was lost: the process running it stopped (crashed, was killed or froze) '
                        || 'before reporting an outcome, and no attempts are left. If this task brings its process down, fix the cause, then retry the batch''s failures.'
                    ELSE error END,
                completed_at = CASE WHEN attempt >= max_attempts THEN $now ELSE NULL END,
                run_after = $now + $delay * (1 << MIN(MAX(attempt - 1, 0), 6)), lease_owner = NULL, lease_expires_at = NULL, version = version + 1
            WHERE {where}
            RETURNING batch_id, status;
            """, r => (r.GetInt64(0), r.GetString(1) == "failed"), [("$now", write.NowMs), ("$delay", (long)lostRunDelay.TotalMilliseconds), .. parameters]);
        return new(rows);
    }

    public ValueTask SpendReservationDeleteLostManyAsync(LostRuns runs, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        write.Execute($"DELETE FROM spend_reservation WHERE task_id IN (SELECT id FROM task WHERE {where});", [("$now", write.NowMs), .. parameters]);
        return ValueTask.CompletedTask;
    }

    // ---- worker ----

    public ValueTask WorkerDeleteExpiredAsync(TimeSpan olderThan, CancellationToken ct)
    {
        write.Execute("DELETE FROM worker WHERE expires_at < $cutoff;", ("$cutoff", write.NowMs - (long)olderThan.TotalMilliseconds));
        return ValueTask.CompletedTask;
    }

    private ValueTask<bool> Steer(long taskId, string sql) => new(write.Execute(sql, ("$id", taskId), ("$now", write.NowMs)) > 0);

    /// <summary>The rows <paramref name="runs"/> names: expired leases, or a batch's runs whose owner is not live.</summary>
    private static (string Where, (string, object?)[] Parameters) Where(LostRuns runs)
    {
        if (runs.BatchId is not { } batchId)
        {
            return ("status = 'running' AND lease_expires_at < $now", []);
        }

        var live = System.Text.Json.JsonSerializer.Serialize((runs.LiveOwners ?? []).ToArray(), TemCoreJsonContext.Default.StringArray);
        // A task inside a provider batch ('pb:' owner) is not a dead worker's: its submission still owns it.
        return ("batch_id = $id AND status = 'running' AND (lease_owner IS NULL OR (lease_owner NOT IN (SELECT value FROM json_each($live)) AND lease_owner NOT LIKE 'pb:%'))",
            [("$id", batchId), ("$live", live)]);
    }
}
