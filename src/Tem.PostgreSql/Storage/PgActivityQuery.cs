namespace Tem.Storage.Postgres;

/// <summary>The PostgreSQL reads behind <c>tem watch</c>'s activity: the same figures as the SQLite store's, on the database clock.</summary>
internal static class PgActivityQuery
{
    public static async ValueTask<IReadOnlyList<TaskTypeActivity>> TypesAsync(PgSession tx, long batchId, TimeSpan window, CancellationToken ct)
    {
        var nowMs = (await tx.ListAsync("SELECT {now};", r => r.GetInt64(0), ct).ConfigureAwait(false))[0];
        var sinceMs = nowMs - (long)window.TotalMilliseconds;
        var firstClaim = (await tx.ListAsync("SELECT MIN(claimed_at) FROM {s}.task WHERE batch_id = @id AND status <> 'staged';",
            r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), ct, ("id", batchId)).ConfigureAwait(false))[0];
        if (firstClaim > sinceMs)
        {
            sinceMs = Math.Min(firstClaim.Value, nowMs - 1); // measured from the batch's first start, not diluted before it
        }

        var rows = await tx.ListAsync("""
            SELECT type, status, COUNT(*),
                   SUM(CASE WHEN status IN ('completed', 'failed', 'cancelled') AND completed_at >= @since THEN 1 ELSE 0 END),
                   SUM(CASE
                         WHEN status = 'running' AND claimed_at IS NOT NULL THEN @now - GREATEST(claimed_at, @since)
                         WHEN status IN ('completed', 'failed') AND claimed_at IS NOT NULL AND completed_at >= @since
                           THEN LEAST(completed_at, @now) - GREATEST(claimed_at, @since)
                         ELSE 0 END)
            FROM {s}.task WHERE batch_id = @id AND status <> 'staged' GROUP BY type, status;
            """,
            r => new ActivityRow(r.GetString(0), StatusNames.ParseTask(r.GetString(1)), r.GetInt64(2),
                r.IsDBNull(3) ? 0 : r.GetInt64(3), r.IsDBNull(4) ? 0 : Math.Max(0, (long)r.GetDecimal(4))),
            ct, ("id", batchId), ("since", sinceMs), ("now", nowMs)).ConfigureAwait(false);
        return ActivityRow.Build(rows, TimeSpan.FromMilliseconds(Math.Max(1, nowMs - sinceMs)));
    }

    public static async ValueTask<IReadOnlyList<TaskErrorSighting>> ErrorsAsync(PgSession tx, long batchId, TimeSpan window, int limit, CancellationToken ct)
    {
        // As the SQLite read: a failed attempt's error on a failed row or a retrying pending row; attempt 0 is a reset task.
        var errors = await tx.ListAsync("""
            SELECT id, type, status, attempt, error, COALESCE(completed_at, claimed_at) AS at
            FROM {s}.task
            WHERE batch_id = @id AND status IN ('pending', 'failed') AND attempt > 0 AND error IS NOT NULL
              AND COALESCE(completed_at, claimed_at) >= {now} - @window
            ORDER BY at DESC, id DESC LIMIT @limit;
            """,
            r => new TaskErrorSighting(r.GetInt64(0), r.GetString(1), StatusNames.ParseTask(r.GetString(2)), r.GetInt32(3), r.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))),
            ct, ("id", batchId), ("window", (long)window.TotalMilliseconds), ("limit", limit)).ConfigureAwait(false);
        errors.Reverse(); // oldest first, the order they happened
        return errors;
    }
}
