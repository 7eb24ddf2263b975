namespace Tem.Storage.Postgres;

/// <summary>The reads behind <see cref="BatchReport"/>, taken in one REPEATABLE READ snapshot so its figures agree with each other.</summary>
internal static class PgReportQuery
{
    public static async ValueTask<BatchReport> ReadAsync(PgSession tx, Batch batch, int topErrors, CancellationToken ct)
    {
        var id = ("id", (object?)batch.Id);
        var stats = await PgBatchStatements.StatsAsync(tx, batch.Id, ct).ConfigureAwait(false);
        var (firstClaimed, lastCompleted) = (await tx.ListAsync("SELECT MIN(claimed_at), MAX(completed_at) FROM {s}.task WHERE batch_id = @id AND status <> 'staged';",
            r => (r.IsDBNull(0) ? (long?)null : r.GetInt64(0), r.IsDBNull(1) ? (long?)null : r.GetInt64(1)), ct, id).ConfigureAwait(false))[0];
        var durations = await tx.ListAsync("""
            SELECT completed_at - claimed_at FROM {s}.task
            WHERE batch_id = @id AND status = 'completed' AND claimed_at IS NOT NULL
            ORDER BY 1;
            """, r => r.GetInt64(0), ct, id).ConfigureAwait(false);
        var attempts = await tx.ListAsync("""
            SELECT attempt, COUNT(*) FROM {s}.task WHERE batch_id = @id AND status IN ('completed', 'failed')
            GROUP BY attempt ORDER BY attempt;
            """, r => new AttemptCount(r.GetInt32(0), r.GetInt64(1)), ct, id).ConfigureAwait(false);
        var errors = await tx.ListAsync("""
            SELECT error, COUNT(*) FROM {s}.task WHERE batch_id = @id AND error IS NOT NULL AND status IN ('failed', 'pending')
            GROUP BY error ORDER BY COUNT(*) DESC, error LIMIT @top;
            """, r => new ErrorCount(r.GetString(0), r.GetInt64(1)), ct, id, ("top", topErrors)).ConfigureAwait(false);

        var lost = (long)(await tx.ScalarAsync("SELECT COUNT(*) FROM {s}.task_attempt WHERE batch_id = @id AND outcome = 'lost';", ct, id).ConfigureAwait(false))!;

        return new ReportParts(batch, stats, firstClaimed, lastCompleted, durations, attempts, errors, await PgBatchStatements.InterruptionsAsync(tx, batch.Id, ct).ConfigureAwait(false), lost).Build();
    }
}
