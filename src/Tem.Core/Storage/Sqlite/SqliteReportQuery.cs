namespace Tem.Storage;

/// <summary>The reads behind <see cref="BatchReport"/>, taken in one snapshot so its figures agree with each other.</summary>
internal static class SqliteReportQuery
{
    public static BatchReport Read(SqliteRead read, Batch batch, int topErrors)
    {
        var id = ("$id", (object?)batch.Id);
        var stats = SqliteBatchStatements.Stats(read, batch.Id);
        var (firstClaimed, lastCompleted) = read.List("SELECT MIN(claimed_at), MAX(completed_at) FROM task WHERE batch_id = $id AND status <> 'staged';",
            r => (r.IsDBNull(0) ? (long?)null : r.GetInt64(0), r.IsDBNull(1) ? (long?)null : r.GetInt64(1)), id)[0];
        var durations = read.List("""
            SELECT completed_at - claimed_at FROM task
            WHERE batch_id = $id AND status = 'completed' AND claimed_at IS NOT NULL
            ORDER BY 1;
            """, r => r.GetInt64(0), id);
        var attempts = read.List("""
            SELECT attempt, COUNT(*) FROM task WHERE batch_id = $id AND status IN ('completed', 'failed')
            GROUP BY attempt ORDER BY attempt;
            """, r => new AttemptCount(r.GetInt32(0), r.GetInt64(1)), id);
        var errors = read.List("""
            SELECT error, COUNT(*) FROM task WHERE batch_id = $id AND error IS NOT NULL AND status IN ('failed', 'pending')
            GROUP BY error ORDER BY COUNT(*) DESC, error LIMIT $top;
            """, r => new ErrorCount(r.GetString(0), r.GetInt64(1)), id, ("$top", topErrors));

        var lost = read.List("SELECT COUNT(*) FROM task_attempt WHERE batch_id = $id AND outcome = 'lost';", r => r.GetInt64(0), id)[0];

        return new ReportParts(batch, stats, firstClaimed, lastCompleted, durations, attempts, errors, SqliteBatchStatements.Interruptions(read, batch.Id), lost).Build();
    }
}
