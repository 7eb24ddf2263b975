namespace Tem.Storage.Postgres;

/// <summary>
/// The <see cref="ITemLedger"/> primitives of a PostgreSQL schema, each one statement in the transaction it wraps.
/// Its change set is the transaction's: what the rules record goes out as NOTIFY before the commit. The statements
/// shared with the store's fused paths stay in <see cref="PgBatchStatements"/>.
/// </summary>
internal sealed class PgLedger(PgSession tx) : ITemLedger
{
    public StoreChanges Changes => tx.Changes;

    // ---- batch ----

    public ValueTask<BatchStatus?> BatchGetStatusAsync(long batchId, bool forUpdate, CancellationToken ct)
        => PgBatchStatements.StatusAsync(tx, batchId, ct, lockRow: forUpdate);

    public async ValueTask BatchRestartAsync(long batchId, CancellationToken ct) => await tx.ExecuteAsync("""
        UPDATE {s}.batch SET status = 'active', started_at = NULL,
            run_completed = 0, run_failed = 0, consecutive_failures = 0
        WHERE id = @id;
        """, ct, ("id", batchId)).ConfigureAwait(false);

    public async ValueTask BatchReopenAsync(long batchId, CancellationToken ct) => await PgBatchStatements.ReopenAsync(tx, batchId, ct).ConfigureAwait(false);

    public async ValueTask<bool> BatchReactivateAsync(long batchId, CancellationToken ct) => await PgBatchStatements.ReactivateAsync(tx, batchId, ct).ConfigureAwait(false) > 0;

    public ValueTask<bool> BatchCompleteIfDoneAsync(long batchId, CancellationToken ct) => PgBatchStatements.CompleteIfDoneAsync(tx, batchId, ct);

    public async ValueTask BatchSetCancelledAsync(long batchId, CancellationToken ct)
        => await tx.ExecuteAsync("UPDATE {s}.batch SET status = 'cancelled', completed_at = {now} WHERE id = @id;", ct, ("id", batchId)).ConfigureAwait(false);

    public async ValueTask<bool> BatchInterruptIfActiveAsync(long batchId, CancellationToken ct)
        => await tx.ExecuteAsync("UPDATE {s}.batch SET status = 'interrupted' WHERE id = @id AND status = 'active';", ct, ("id", batchId)).ConfigureAwait(false) > 0;

    public ValueTask<BatchStats> BatchGetStatsAsync(long batchId, CancellationToken ct) => PgBatchStatements.StatsAsync(tx, batchId, ct);

    public async ValueTask BatchInterruptionInsertAsync(long batchId, InterruptionKind kind, string reason, BatchStats stats, CancellationToken ct) => await tx.ExecuteAsync("""
        INSERT INTO {s}.batch_interruption (batch_id, reason, created_at, pending, running, completed, failed, cancelled, kind)
        VALUES (@id, @reason, {now}, @pending, @running, @completed, @failed, @cancelled, @kind);
        """, ct, ("id", batchId), ("reason", reason), ("pending", stats.Pending), ("running", stats.Running),
        ("completed", stats.Completed), ("failed", stats.Failed), ("cancelled", stats.Cancelled), ("kind", InterruptionNames.ToText(kind))).ConfigureAwait(false);

    public async ValueTask BatchEventInsertAsync(long batchId, string kind, string message, CancellationToken ct)
        => await PgBatchStatements.RecordAsync(tx, batchId, kind, message, ct).ConfigureAwait(false);

    public async ValueTask<(IReadOnlyList<(long Id, string CriteriaJson, long StartedAtMs)> Batches, long NowMs)> BatchListRuntimeBoundAsync(CancellationToken ct)
    {
        var rows = await tx.ListAsync("""
            SELECT id, interruption_criteria, started_at, {now} FROM {s}.batch
            WHERE status = 'active' AND started_at IS NOT NULL AND interruption_criteria LIKE '%maxRuntimeMs%';
            """, r => (Id: r.GetInt64(0), Criteria: r.GetString(1), StartedAt: r.GetInt64(2), Now: r.GetInt64(3)), ct).ConfigureAwait(false);
        // The clock comes with the rows; with none there is nothing to judge by it.
        return ([.. rows.Select(r => (r.Id, r.Criteria, r.StartedAt))], rows.Count > 0 ? rows[0].Now : 0);
    }

    public async ValueTask<string?> BatchGetCriteriaIfActiveAsync(long batchId, CancellationToken ct)
        => (await tx.ListAsync("SELECT interruption_criteria FROM {s}.batch WHERE id = @id AND status = 'active';",
            r => r.IsDBNull(0) ? null : r.GetString(0), ct, ("id", batchId)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<(BatchCounters Counters, long NowMs)?> BatchAddTallyAsync(long batchId, BatchTally tally, CancellationToken ct)
        => PgBatchStatements.AddTallyAsync(tx, batchId, tally, ct);

    // ---- task ----

    public ValueTask<long> TaskInsertManyAsync(long batchId, string type, IReadOnlyList<NewTask> tasks, CancellationToken ct)
        => PgTaskStatements.InsertManyAsync(tx, batchId, type, tasks, "pending", token: null, ct);

    public ValueTask<(long Id, bool Inserted)> TaskInsertOneAsync(long batchId, string type, NewTask task, CancellationToken ct)
        => PgTaskStatements.InsertOneAsync(tx, batchId, type, task, ct);

    public async ValueTask<long> TaskCommitStagedAsync(long batchId, string type, long token, CancellationToken ct)
        => await PgTaskStatements.CommitStagedAsync(tx, token, ct).ConfigureAwait(false);

    public async ValueTask<long?> TaskGetBatchIdAsync(long taskId, CancellationToken ct)
        => await tx.ScalarAsync("SELECT batch_id FROM {s}.task WHERE id = @id AND status <> 'staged';", ct, ("id", taskId)).ConfigureAwait(false) as long?;

    public async ValueTask<long> TaskCountUpToAsync(long batchId, int limit, CancellationToken ct)
        => (long)(await tx.ScalarAsync("SELECT COUNT(*) FROM (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status <> 'staged' LIMIT @limit) AS t;",
            ct, ("id", batchId), ("limit", limit)).ConfigureAwait(false))!;

    public async ValueTask<long> TaskAttemptCountRecentAsync(long batchId, string outcome, TimeSpan window, CancellationToken ct)
        => (long)(await tx.ScalarAsync(
            "SELECT COUNT(*) FROM {s}.task_attempt WHERE batch_id = @id AND outcome = @outcome AND ended_at > {now} - @window;", ct,
            ("id", batchId), ("outcome", outcome), ("window", (long)window.TotalMilliseconds)).ConfigureAwait(false))!;

    public ValueTask<int> TaskCancelUnfinishedManyAsync(long batchId, CancellationToken ct) => tx.ExecuteAsync("""
        UPDATE {s}.task SET status = 'cancelled', completed_at = {now}, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE batch_id = @id AND status IN ('pending', 'running');
        """, ct, ("id", batchId));

    public ValueTask<int> TaskResetFailedManyAsync(long batchId, CancellationToken ct) => tx.ExecuteAsync("""
        UPDATE {s}.task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = {now}, completed_at = NULL, version = version + 1
        WHERE batch_id = @id AND status = 'failed';
        """, ct, ("id", batchId));

    public ValueTask<bool> TaskResetIfFailedAsync(long taskId, CancellationToken ct) => SteerAsync(taskId, """
        UPDATE {s}.task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = {now}, completed_at = NULL, version = version + 1
        WHERE id = @id AND status = 'failed';
        """, ct);

    public ValueTask<bool> TaskCancelIfPendingAsync(long taskId, CancellationToken ct) => SteerAsync(taskId, """
        UPDATE {s}.task SET status = 'cancelled', completed_at = {now}, version = version + 1
        WHERE id = @id AND status = 'pending';
        """, ct);

    public ValueTask<bool> TaskResetIfCompletedAsync(long taskId, CancellationToken ct) => SteerAsync(taskId, """
        UPDATE {s}.task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, result = NULL, error = NULL, run_after = {now},
            completed_at = NULL, version = version + 1
        WHERE id = @id AND status = 'completed';
        """, ct);

    public async ValueTask TaskAttemptInsertResultAsync(long taskId, CancellationToken ct) => await tx.ExecuteAsync("""
        INSERT INTO {s}.task_attempt (task_id, batch_id, attempt, outcome, result, claimed_at, ended_at)
        SELECT id, batch_id, attempt, 'completed', result, claimed_at, COALESCE(completed_at, {now}) FROM {s}.task WHERE id = @id AND status = 'completed';
        """, ct, ("id", taskId)).ConfigureAwait(false);

    public async ValueTask TaskAttemptInsertLostManyAsync(LostRuns runs, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        await tx.ExecuteAsync($$"""
            INSERT INTO {s}.task_attempt (task_id, batch_id, attempt, outcome, error, claimed_at, ended_at)
            SELECT id, batch_id, attempt, 'lost', 'The process running this attempt stopped (crashed, was killed or froze) before reporting an outcome.', claimed_at, {now}
            FROM {s}.task WHERE {{where}};
            """, ct, parameters).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<(long BatchId, bool Failed)>> TaskReleaseLostManyAsync(LostRuns runs, TimeSpan lostRunDelay, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        return await tx.ListAsync($$"""
            UPDATE {s}.task SET
                status = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
                error = CASE WHEN attempt >= max_attempts
                    THEN 'Attempt ' || attempt || ' of ' || max_attempts || ' was lost: the process running it stopped (crashed, was killed or froze) '
                        || 'before reporting an outcome, and no attempts are left. If this task brings its process down, fix the cause, then retry the batch''s failures.'
                    ELSE error END,
                completed_at = CASE WHEN attempt >= max_attempts THEN {now} ELSE NULL END,
                run_after = {now} + @delay * (1 << LEAST(GREATEST(attempt - 1, 0), 6)), lease_owner = NULL, lease_expires_at = NULL, version = version + 1
            WHERE {{where}}
            RETURNING batch_id, status;
            """, r => (r.GetInt64(0), r.GetString(1) == "failed"), ct, [("delay", (long)lostRunDelay.TotalMilliseconds), .. parameters]).ConfigureAwait(false);
    }

    public async ValueTask SpendReservationDeleteLostManyAsync(LostRuns runs, CancellationToken ct)
    {
        var (where, parameters) = Where(runs);
        await tx.ExecuteAsync($"DELETE FROM {{s}}.spend_reservation WHERE task_id IN (SELECT id FROM {{s}}.task WHERE {where});", ct, parameters).ConfigureAwait(false);
    }

    // ---- worker ----

    public async ValueTask WorkerDeleteExpiredAsync(TimeSpan olderThan, CancellationToken ct)
        => await tx.ExecuteAsync("DELETE FROM {s}.worker WHERE expires_at < {now} - @older;", ct, ("older", (long)olderThan.TotalMilliseconds)).ConfigureAwait(false);

    private async ValueTask<bool> SteerAsync(long taskId, string sql, CancellationToken ct) => await tx.ExecuteAsync(sql, ct, ("id", taskId)).ConfigureAwait(false) > 0;

    /// <summary>The rows <paramref name="runs"/> names: expired leases, or a batch's runs whose owner is not live.</summary>
    private static (string Where, (string, object?)[] Parameters) Where(LostRuns runs)
    {
        if (runs.BatchId is not { } batchId)
        {
            return ("status = 'running' AND lease_expires_at < {now}", []);
        }

        // A task inside a provider batch ('pb:' owner) is not a dead worker's: its submission still owns it.
        return ("batch_id = @id AND status = 'running' AND (lease_owner IS NULL OR (NOT (lease_owner = ANY(@live)) AND lease_owner NOT LIKE 'pb:%'))",
            [("id", batchId), ("live", (runs.LiveOwners ?? []).ToArray())]);
    }
}
