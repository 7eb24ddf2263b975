namespace Tem.Storage;

/// <summary>
/// The reads behind <see cref="BatchActivityReads.GetActivityAsync"/> (`tem watch`): counts per task type with what
/// ended and how busy each type was in a recent window, and the errors of recent attempts.
/// </summary>
internal static class SqliteActivityQuery
{
    public static IReadOnlyList<TaskTypeActivity> Types(SqliteRead read, long batchId, long sinceMs, long nowMs)
    {
        var id = ("$id", (object?)batchId);

        // A batch that started running within the window is measured from its first start, not diluted by the time
        // before it (finished tasks keep claimed_at, so MIN finds the first start).
        var firstClaim = read.List("SELECT MIN(claimed_at) FROM task WHERE batch_id = $id AND status <> 'staged';",
            r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), id)[0];
        if (firstClaim > sinceMs)
        {
            sinceMs = Math.Min(firstClaim.Value, nowMs - 1);
        }

        // Busy time: the part of each attempt's run [claimed_at, completed_at or now] inside the window; summed and
        // divided by the window it is the average number running — true even when starts come in bursts that a sample
        // of status = 'running' misses. A retried task back in pending has no end time: left out.
        var rows = read.List("""
            SELECT type, status, COUNT(*),
                   SUM(CASE WHEN status IN ('completed', 'failed', 'cancelled') AND completed_at >= $since THEN 1 ELSE 0 END),
                   SUM(CASE
                         WHEN status = 'running' AND claimed_at IS NOT NULL THEN $now - MAX(claimed_at, $since)
                         WHEN status IN ('completed', 'failed') AND claimed_at IS NOT NULL AND completed_at >= $since
                           THEN MIN(completed_at, $now) - MAX(claimed_at, $since)
                         ELSE 0 END)
            FROM task WHERE batch_id = $id AND status <> 'staged' GROUP BY type, status;
            """,
            r => new ActivityRow(r.GetString(0), StatusNames.ParseTask(r.GetString(1)), r.GetInt64(2),
                r.IsDBNull(3) ? 0 : r.GetInt64(3), r.IsDBNull(4) ? 0 : Math.Max(0, r.GetInt64(4))),
            id, ("$since", sinceMs), ("$now", nowMs));

        return ActivityRow.Build(rows, TimeSpan.FromMilliseconds(Math.Max(1, nowMs - sinceMs)));
    }

    public static IReadOnlyList<TaskErrorSighting> Errors(SqliteRead read, long batchId, long sinceMs, int limit)
    {
        // A failed attempt leaves its error on the row: 'failed' with completed_at, or back in 'pending' (a retry
        // waiting out its backoff) with the attempt's claimed_at. Attempt 0 is a task RetryFailed reset: its error is
        // from before, not a new one.
        var errors = read.List("""
            SELECT id, type, status, attempt, error, COALESCE(completed_at, claimed_at) AS at
            FROM task
            WHERE batch_id = $id AND status IN ('pending', 'failed') AND attempt > 0 AND error IS NOT NULL AND COALESCE(completed_at, claimed_at) >= $since
            ORDER BY at DESC, id DESC LIMIT $limit;
            """,
            r => new TaskErrorSighting(r.GetInt64(0), r.GetString(1), StatusNames.ParseTask(r.GetString(2)), r.GetInt32(3), r.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))),
            ("$id", batchId), ("$since", sinceMs), ("$limit", limit));
        errors.Reverse(); // oldest first, the order they happened
        return errors;
    }
}
