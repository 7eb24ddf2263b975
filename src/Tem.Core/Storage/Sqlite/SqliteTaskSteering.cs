namespace Tem.Storage;

/// <summary>The SQLite statements that steer one task: retry it after a failure, cancel it before it runs, run it again after it completed.</summary>
internal static class SqliteTaskSteering
{
    /// <summary>failed → pending with fresh attempts; its current error is cleared (the attempt history keeps it).</summary>
    public static bool Retry(SqliteWrite write, long taskId) => Steer(write, taskId, TemTaskStatus.Failed, "task-retried", "retried after it failed", """
        UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, error = NULL, run_after = $now, completed_at = NULL, version = version + 1
        WHERE id = $id AND status = 'failed';
        """);

    /// <summary>pending → cancelled.</summary>
    public static bool Cancel(SqliteWrite write, long taskId) => Steer(write, taskId, TemTaskStatus.Pending, "task-cancelled", "cancelled before it ran", """
        UPDATE task SET status = 'cancelled', completed_at = $now, version = version + 1
        WHERE id = $id AND status = 'pending';
        """);

    /// <summary>completed → pending with fresh attempts; the old result goes to the attempt history.</summary>
    public static bool Rerun(SqliteWrite write, long taskId)
    {
        write.Execute("""
            INSERT INTO task_attempt (task_id, batch_id, attempt, outcome, result, claimed_at, ended_at)
            SELECT id, batch_id, attempt, 'completed', result, claimed_at, COALESCE(completed_at, $now) FROM task WHERE id = $id AND status = 'completed';
            """, ("$id", taskId), ("$now", write.NowMs));
        return Steer(write, taskId, TemTaskStatus.Completed, "task-rerun", "queued to run again after it completed; its old result is in its attempt history", """
            UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, result = NULL, error = NULL, run_after = $now,
                completed_at = NULL, version = version + 1
            WHERE id = $id AND status = 'completed';
            """);
    }

    /// <summary>
    /// Runs one conditional transition of a task from <paramref name="from"/>; false (and nothing changed) when the task is in
    /// another status. The batch must not be cancelled; a completed batch becomes active again when a task returns to pending.
    /// </summary>
    private static bool Steer(SqliteWrite write, long taskId, TemTaskStatus from, string eventKind, string done, string sql)
    {
        var batchId = write.AsRead().List("SELECT batch_id FROM task WHERE id = $id AND status <> 'staged';", r => r.GetInt64(0), ("$id", taskId)) is [var id]
            ? id
            : throw new TaskNotFoundException(taskId);
        if (SqliteBatchStatements.Require(write, batchId) == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Task {taskId} belongs to batch {batchId}, which is cancelled; its tasks cannot be steered. Create a new batch for them.");
        }

        if (write.Execute(sql, ("$id", taskId), ("$now", write.NowMs)) == 0)
        {
            return false;
        }

        if (from == TemTaskStatus.Pending)
        {
            SqliteBatchStatements.CompleteIfDone(write, batchId);
        }
        else
        {
            SqliteBatchStatements.Reactivate(write, batchId);
        }

        SqliteBatchStatements.Record(write, batchId, eventKind, $"Task {taskId} was {done}.");
        return true;
    }
}
