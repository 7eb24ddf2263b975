namespace Tem.Storage.Postgres;

/// <summary>The PostgreSQL statements that steer one task: retry it after a failure, cancel it before it runs, run it again after it completed.</summary>
internal static class PgTaskSteering
{
    /// <summary>failed → pending with fresh attempts; its current error is cleared (the attempt history keeps it).</summary>
    public static ValueTask<bool> RetryAsync(PgTransaction tx, long taskId, CancellationToken ct) => SteerAsync(tx, taskId, TemTaskStatus.Failed, "task-retried", "retried after it failed", """
        UPDATE {s}.task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = {now}, completed_at = NULL, version = version + 1
        WHERE id = @id AND status = 'failed';
        """, ct);

    /// <summary>pending → cancelled.</summary>
    public static ValueTask<bool> CancelAsync(PgTransaction tx, long taskId, CancellationToken ct) => SteerAsync(tx, taskId, TemTaskStatus.Pending, "task-cancelled", "cancelled before it ran", """
        UPDATE {s}.task SET status = 'cancelled', completed_at = {now}, version = version + 1
        WHERE id = @id AND status = 'pending';
        """, ct);

    /// <summary>completed → pending with fresh attempts; the old result goes to the attempt history.</summary>
    public static async ValueTask<bool> RerunAsync(PgTransaction tx, long taskId, CancellationToken ct)
    {
        await tx.ExecuteAsync("""
            INSERT INTO {s}.task_attempt (task_id, batch_id, attempt, outcome, result, claimed_at, ended_at)
            SELECT id, batch_id, attempt, 'completed', result, claimed_at, COALESCE(completed_at, {now}) FROM {s}.task WHERE id = @id AND status = 'completed';
            """, ct, ("id", taskId)).ConfigureAwait(false);
        return await SteerAsync(tx, taskId, TemTaskStatus.Completed, "task-rerun", "queued to run again after it completed; its old result is in its attempt history", """
            UPDATE {s}.task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, result = NULL, error = NULL, run_after = {now},
                completed_at = NULL, version = version + 1
            WHERE id = @id AND status = 'completed';
            """, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One conditional transition of a task from <paramref name="from"/>; false (and nothing changed) when the task is in
    /// another status. The batch must not be cancelled; its row is locked first (as enqueues do), and a completed batch
    /// becomes active again when a task returns to pending.
    /// </summary>
    private static async ValueTask<bool> SteerAsync(PgTransaction tx, long taskId, TemTaskStatus from, string eventKind, string done, string sql, CancellationToken ct)
    {
        var batchId = await tx.ScalarAsync("SELECT batch_id FROM {s}.task WHERE id = @id AND status <> 'staged';", ct, ("id", taskId)).ConfigureAwait(false) is long id
            ? id
            : throw new TaskNotFoundException(taskId);
        if (await PgBatchStatements.RequireAsync(tx, batchId, ct, lockRow: true).ConfigureAwait(false) == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Task {taskId} belongs to batch {batchId}, which is cancelled; its tasks cannot be steered. Create a new batch for them.");
        }

        if (await tx.ExecuteAsync(sql, ct, ("id", taskId)).ConfigureAwait(false) == 0)
        {
            return false;
        }

        if (from == TemTaskStatus.Pending)
        {
            await PgBatchStatements.CompleteIfDoneAsync(tx, batchId, ct).ConfigureAwait(false);
        }
        else
        {
            await PgBatchStatements.ReactivateAsync(tx, batchId, ct).ConfigureAwait(false);
            tx.Notify(PgNotifications.Work(TimeSpan.Zero));
        }

        await PgBatchStatements.RecordAsync(tx, batchId, eventKind, $"Task {taskId} was {done}.", ct).ConfigureAwait(false);
        return true;
    }
}
