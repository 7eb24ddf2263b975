using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>The SQLite statements that create, read and change batches, one per state change.</summary>
internal static class SqliteBatchStatements
{
    private const string Columns = "id, code, type, status, created_at, completed_at, metadata, interruption_criteria";

    public static Batch Create(SqliteWrite write, string code, string type, string? metadataJson, string? criteriaJson)
    {
        using var command = write.Command($"""
            INSERT INTO batch (code, type, status, created_at, metadata, interruption_criteria)
            VALUES ($code, $type, 'active', $now, $metadata, $criteria)
            ON CONFLICT (code) DO NOTHING
            RETURNING {Columns};
            """,
            ("$code", code), ("$type", type), ("$now", write.NowMs), ("$metadata", metadataJson), ("$criteria", criteriaJson));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadBatch(reader) : throw new DuplicateBatchCodeException(code);
    }

    public static Batch? Get(SqliteRead read, long batchId)
        => read.List($"SELECT {Columns} FROM batch WHERE id = $id;", ReadBatch, ("$id", batchId)).FirstOrDefault();

    public static Batch? GetByCode(SqliteRead read, string code)
        => read.List($"SELECT {Columns} FROM batch WHERE code = $code;", ReadBatch, ("$code", code)).FirstOrDefault();

    public static List<Batch> List(SqliteRead read, string? type, BatchStatus? status) => read.List(
        $"SELECT {Columns} FROM batch WHERE ($type IS NULL OR type = $type) AND ($status IS NULL OR status = $status) ORDER BY id;",
        ReadBatch, ("$type", type), ("$status", status is { } s ? StatusNames.ToText(s) : null));

    public static BatchStats Stats(SqliteRead read, long batchId)
    {
        using var command = read.Command("SELECT status, COUNT(*) FROM task WHERE batch_id = $id AND status <> 'staged' GROUP BY status;", ("$id", batchId));
        using var reader = command.ExecuteReader();
        long pending = 0, running = 0, completed = 0, failed = 0, cancelled = 0;
        while (reader.Read())
        {
            var count = reader.GetInt64(1);
            switch (StatusNames.ParseTask(reader.GetString(0)))
            {
                case TemTaskStatus.Pending: pending = count; break;
                case TemTaskStatus.Running: running = count; break;
                case TemTaskStatus.Completed: completed = count; break;
                case TemTaskStatus.Failed: failed = count; break;
                case TemTaskStatus.Cancelled: cancelled = count; break;
            }
        }

        return new BatchStats(pending, running, completed, failed, cancelled);
    }

    public static (bool Pending, bool Running) HasUnfinished(SqliteRead read, long batchId)
    {
        // EXISTS stops at the first index entry; COUNT(*) would read the batch's whole pending range.
        var command = read.Hot("""
            SELECT EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status = 'pending'),
                   EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status = 'running');
            """, ("$id", batchId));
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0) != 0, reader.GetInt64(1) != 0);
    }

    /// <summary>The batch's interruptions, newest first.</summary>
    public static List<BatchInterruption> Interruptions(SqliteRead read, long batchId) => read.List("""
        SELECT reason, created_at, pending, running, completed, failed, cancelled, kind
        FROM batch_interruption WHERE batch_id = $id ORDER BY id DESC;
        """,
        r => new BatchInterruption(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
            new BatchStats(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)), InterruptionNames.Parse(r.GetString(7))),
        ("$id", batchId));

    /// <summary>The batch's history, newest first.</summary>
    public static List<BatchEvent> History(SqliteRead read, long batchId) => read.List(
        "SELECT kind, message, created_at FROM batch_event WHERE batch_id = $id ORDER BY id DESC;",
        r => new BatchEvent(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))), ("$id", batchId));

    /// <summary>Adds an entry to the batch's history.</summary>
    public static void Record(SqliteWrite write, long batchId, string kind, string message) => write.Execute(
        "INSERT INTO batch_event (batch_id, kind, message, created_at) VALUES ($id, $kind, $message, $now);",
        ("$id", batchId), ("$kind", kind), ("$message", message), ("$now", write.NowMs));

    /// <summary>The batch's status, or null when no batch has the id.</summary>
    public static BatchStatus? Status(SqliteWrite write, long batchId)
    {
        using var command = write.Command("SELECT status FROM batch WHERE id = $id;", ("$id", batchId));
        return command.ExecuteScalar() is string status ? StatusNames.ParseBatch(status) : null;
    }

    /// <summary>Checks that the batch exists; returns its status.</summary>
    public static BatchStatus Require(SqliteWrite write, long batchId) => Status(write, batchId) ?? throw BatchLifecycleRules.BatchNotFound(batchId);

    /// <summary>Checks that the batch takes tasks; returns its status.</summary>
    public static BatchStatus RequireOpenForEnqueue(SqliteWrite write, long batchId)
    {
        var status = Require(write, batchId);
        return status is BatchStatus.Cancelled or BatchStatus.Interrupted ? throw EnqueueRules.NotOpen(batchId, status) : status;
    }

    /// <summary>A completed batch that received new tasks is active again.</summary>
    public static int Reactivate(SqliteWrite write, long batchId)
        => write.Execute("UPDATE batch SET status = 'active', completed_at = NULL WHERE id = $id AND status = 'completed';", ("$id", batchId));

    /// <summary>
    /// Adds a tally to an active batch's interruption counters and returns them; null when the batch is not active.
    /// The hot row of every outcome write (issue 26 owns its redesign); the rules around it are <see cref="OutcomeTallyRules"/>.
    /// </summary>
    public static BatchCounters? AddTally(SqliteWrite write, long batchId, BatchTally tally)
    {
        var command = write.Hot("""
            UPDATE batch SET run_completed = run_completed + $completed, run_failed = run_failed + $failed,
                consecutive_failures = CASE WHEN $reset THEN $row ELSE consecutive_failures + $row END
            WHERE id = $id AND status = 'active'
            RETURNING interruption_criteria, run_completed, run_failed, consecutive_failures, started_at;
            """, ("$completed", tally.Completed), ("$failed", tally.Failed), ("$reset", tally.SawSuccess),
            ("$row", tally.FailuresSinceSuccess), ("$id", batchId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new BatchCounters(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
                reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4))
            : null;
    }

    /// <summary>Tasks of the batch run again: it is not complete any more, whatever happens next.</summary>
    public static void Reopen(SqliteWrite write, long batchId)
        => write.Execute("UPDATE batch SET completed_at = NULL WHERE id = $id AND status = 'active';", ("$id", batchId));

    /// <summary>An active batch with tasks, none of them pending or running, is completed (keeping the time it first was, if nothing ran since).</summary>
    public static int CompleteIfDone(SqliteWrite write, long batchId) => write.Hot("""
        UPDATE batch SET status = 'completed', completed_at = COALESCE(completed_at, $now)
        WHERE id = $id AND status = 'active'
          AND EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status <> 'staged')
          AND NOT EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status IN ('pending', 'running'));
        """, ("$id", batchId), ("$now", write.NowMs)).ExecuteNonQuery();

    /// <summary>Records that the batches of freshly claimed tasks have started (the runtime criterion counts from here).</summary>
    public static void MarkStarted(SqliteWrite write, string batchIdsJson) => write.Hot(
        "UPDATE batch SET started_at = $now WHERE started_at IS NULL AND id IN (SELECT value FROM json_each($ids));",
        ("$now", write.NowMs), ("$ids", batchIdsJson)).ExecuteNonQuery();

    private static Batch ReadBatch(SqliteDataReader reader) => new()
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
