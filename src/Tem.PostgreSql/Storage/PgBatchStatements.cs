using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>
/// The PostgreSQL statements that create, read and change batches. A write that may complete a batch first locks
/// its row (the counters update), so that of two transactions ending a batch's last runs at once, the later one's
/// completion check — a new statement, a new snapshot under READ COMMITTED — sees the earlier one's commit.
/// </summary>
internal static class PgBatchStatements
{
    private const string Columns = "id, code, type, status, created_at, completed_at, metadata, interruption_criteria";

    public static async ValueTask<Batch> CreateAsync(PgSession tx, string code, string type, string? metadataJson, string? criteriaJson, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            INSERT INTO {"{s}"}.batch (code, type, status, created_at, metadata, interruption_criteria)
            VALUES (@code, @type, 'active', {"{now}"}, @metadata::text, @criteria::text)
            ON CONFLICT (code) DO NOTHING
            RETURNING {Columns};
            """, ReadBatch, ct, ("code", code), ("type", type), ("metadata", metadataJson), ("criteria", criteriaJson)).ConfigureAwait(false);
        return rows.Count == 1 ? rows[0] : throw new DuplicateBatchCodeException(code);
    }

    public static async ValueTask<Batch?> GetAsync(PgSession tx, long batchId, CancellationToken ct)
        => (await tx.ListAsync($"SELECT {Columns} FROM {{s}}.batch WHERE id = @id;", ReadBatch, ct, ("id", batchId)).ConfigureAwait(false)).FirstOrDefault();

    public static async ValueTask<Batch?> GetByCodeAsync(PgSession tx, string code, CancellationToken ct)
        => (await tx.ListAsync($"SELECT {Columns} FROM {{s}}.batch WHERE code = @code;", ReadBatch, ct, ("code", code)).ConfigureAwait(false)).FirstOrDefault();

    public static ValueTask<List<Batch>> ListAsync(PgSession tx, string? type, BatchStatus? status, CancellationToken ct) => tx.ListAsync(
        $"SELECT {Columns} FROM {{s}}.batch WHERE (@type::text IS NULL OR type = @type::text) AND (@status::text IS NULL OR status = @status::text) ORDER BY id;",
        ReadBatch, ct, ("type", type), ("status", status is { } s ? StatusNames.ToText(s) : null));

    public static async ValueTask<BatchStats> StatsAsync(PgSession tx, long batchId, CancellationToken ct)
    {
        var rows = await tx.ListAsync("SELECT status, COUNT(*) FROM {s}.task WHERE batch_id = @id AND status <> 'staged' GROUP BY status;",
            r => (Status: StatusNames.ParseTask(r.GetString(0)), Count: r.GetInt64(1)), ct, ("id", batchId)).ConfigureAwait(false);
        long Count(TemTaskStatus status) => rows.Where(r => r.Status == status).Sum(r => r.Count);
        return new BatchStats(Count(TemTaskStatus.Pending), Count(TemTaskStatus.Running), Count(TemTaskStatus.Completed), Count(TemTaskStatus.Failed), Count(TemTaskStatus.Cancelled));
    }

    public static async ValueTask<(bool Pending, bool Running)> HasUnfinishedAsync(PgSession tx, long batchId, CancellationToken ct)
        => (await tx.ListAsync("""
            SELECT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status = 'pending'),
                   EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status = 'running');
            """, r => (r.GetBoolean(0), r.GetBoolean(1)), ct, ("id", batchId)).ConfigureAwait(false))[0];

    /// <summary>The batch's interruptions, newest first.</summary>
    public static ValueTask<List<BatchInterruption>> InterruptionsAsync(PgSession tx, long batchId, CancellationToken ct) => tx.ListAsync("""
        SELECT reason, created_at, pending, running, completed, failed, cancelled, kind
        FROM {s}.batch_interruption WHERE batch_id = @id ORDER BY id DESC;
        """,
        r => new BatchInterruption(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
            new BatchStats(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)), InterruptionNames.Parse(r.GetString(7))),
        ct, ("id", batchId));

    /// <summary>The batch's history, newest first.</summary>
    public static ValueTask<List<BatchEvent>> HistoryAsync(PgSession tx, long batchId, CancellationToken ct) => tx.ListAsync(
        "SELECT kind, message, created_at FROM {s}.batch_event WHERE batch_id = @id ORDER BY id DESC;",
        r => new BatchEvent(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))), ct, ("id", batchId));

    /// <summary>Adds an entry to the batch's history.</summary>
    public static ValueTask<int> RecordAsync(PgSession tx, long batchId, string kind, string message, CancellationToken ct) => tx.ExecuteAsync(
        "INSERT INTO {s}.batch_event (batch_id, kind, message, created_at) VALUES (@id, @kind, @message, {now});", ct,
        ("id", batchId), ("kind", kind), ("message", message));

    /// <summary>Tasks of the batch run again: it is not complete any more, whatever happens next.</summary>
    public static ValueTask<int> ReopenAsync(PgSession tx, long batchId, CancellationToken ct)
        => tx.ExecuteAsync("UPDATE {s}.batch SET completed_at = NULL WHERE id = @id AND status = 'active';", ct, ("id", batchId));

    /// <summary>The batch's status, or null when no batch has the id. With <paramref name="lockRow"/>, holds the row until the transaction ends.</summary>
    public static async ValueTask<BatchStatus?> StatusAsync(PgSession tx, long batchId, CancellationToken ct, bool lockRow = false)
        => await tx.ScalarAsync(lockRow ? "SELECT status FROM {s}.batch WHERE id = @id FOR NO KEY UPDATE;" : "SELECT status FROM {s}.batch WHERE id = @id;",
            ct, ("id", batchId)).ConfigureAwait(false) is string status
            ? StatusNames.ParseBatch(status)
            : null;

    /// <summary>Checks that the batch exists; returns its status. With <paramref name="lockRow"/>, holds the row until the transaction ends.</summary>
    public static async ValueTask<BatchStatus> RequireAsync(PgSession tx, long batchId, CancellationToken ct, bool lockRow = false)
        => await StatusAsync(tx, batchId, ct, lockRow).ConfigureAwait(false) ?? throw BatchLifecycleRules.BatchNotFound(batchId);

    /// <summary>
    /// Checks that the batch takes tasks; returns its status. With <paramref name="lockRow"/> (rows that become pending
    /// now), the batch row stays locked until the insert commits: an outcome write that would complete the batch
    /// either waits and then sees the new rows, or completes it first and this sees 'completed' and reopens it.
    /// </summary>
    public static async ValueTask<BatchStatus> RequireOpenForEnqueueAsync(PgSession tx, long batchId, CancellationToken ct, bool lockRow = true)
    {
        var status = await RequireAsync(tx, batchId, ct, lockRow).ConfigureAwait(false);
        return status is BatchStatus.Cancelled or BatchStatus.Interrupted ? throw EnqueueRules.NotOpen(batchId, status) : status;
    }

    /// <summary>A completed batch that received new tasks is active again.</summary>
    public static ValueTask<int> ReactivateAsync(PgSession tx, long batchId, CancellationToken ct)
        => tx.ExecuteAsync("UPDATE {s}.batch SET status = 'active', completed_at = NULL WHERE id = @id AND status = 'completed';", ct, ("id", batchId));

    /// <summary>
    /// Adds a tally to an active batch's interruption counters and returns them with the transaction's clock; null when
    /// the batch is not active or has no criteria (such batches keep no counters, so their writers share no row: issue 26); the rules around it are
    /// <see cref="OutcomeTallyRules"/>.
    /// </summary>
    public static async ValueTask<(BatchCounters Counters, long NowMs)?> AddTallyAsync(PgSession tx, long batchId, BatchTally tally, CancellationToken ct)
    {
        var rows = await tx.ListAsync("""
            UPDATE {s}.batch SET run_completed = run_completed + @completed, run_failed = run_failed + @failed,
                consecutive_failures = CASE WHEN @reset THEN @row ELSE consecutive_failures + @row END
            WHERE id = @id AND status = 'active' AND interruption_criteria IS NOT NULL
            RETURNING interruption_criteria, run_completed, run_failed, consecutive_failures, started_at, {now};
            """, r => (Counters: new BatchCounters(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4)), Now: r.GetInt64(5)),
            ct, ("completed", tally.Completed), ("failed", tally.Failed), ("reset", tally.SawSuccess), ("row", tally.FailuresSinceSuccess), ("id", batchId)).ConfigureAwait(false);
        return rows.Count == 0 ? null : (rows[0].Counters, rows[0].Now);
    }

    /// <summary>An active batch with tasks, none of them pending or running, is completed.</summary>
    public static async ValueTask<bool> CompleteIfDoneAsync(PgSession tx, long batchId, CancellationToken ct)
    {
        await tx.ListAsync(PgBatchCompletion.LockIfLast, r => r.GetInt64(0), ct, ("batchIds", (object)new[] { batchId })).ConfigureAwait(false);
        return await tx.ExecuteAsync("""
            UPDATE {s}.batch SET status = 'completed', completed_at = COALESCE(completed_at, {now})
            WHERE id = @id AND status = 'active'
              AND EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status <> 'staged')
              AND NOT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status IN ('pending', 'running'));
            """, ct, ("id", batchId)).ConfigureAwait(false) > 0;
    }

    private static Batch ReadBatch(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Code = reader.GetString(1),
        Type = reader.GetString(2),
        Status = StatusNames.ParseBatch(reader.GetString(3)),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        CompletedAt = reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        Metadata = reader.IsDBNull(6) ? new Dictionary<string, string>() : BatchMetadata.FromJson(reader.GetString(6)),
        InterruptionCriteria = reader.IsDBNull(7) ? null : InterruptionCriteria.FromJson(reader.GetString(7)),
    };
}
