namespace Tem.Storage;

/// <summary>
/// The statements of a large enqueue. Chunks are staged in a TEMP table of the writer connection: it has no indexes,
/// is never fsynced, is invisible to every other connection, and vanishes with the connection, so a process that dies
/// mid-call leaves nothing behind. The commit moves every staged row into <c>task</c> with one <c>INSERT … SELECT</c>,
/// so each row and its index entries are written to the file once (staging as 'staged' task rows and flipping them
/// to pending wrote them twice, which cost about 40% of enqueue throughput).
/// </summary>
internal static class SqliteStagedEnqueue
{
    // Only what varies per row: the batch and the type are the same for every row of one enqueue.
    private const string CreateTable = """
        CREATE TEMP TABLE IF NOT EXISTS staged_task (
            token           INTEGER NOT NULL,
            payload         TEXT    NOT NULL,
            max_attempts    INTEGER NOT NULL,
            priority        INTEGER NOT NULL,
            delay_ms        INTEGER NOT NULL,
            idempotency_key TEXT,
            trace_parent    TEXT
        );
        """;

    private const string InsertStaged = """
        INSERT INTO temp.staged_task (token, payload, max_attempts, priority, delay_ms, idempotency_key, trace_parent)
        VALUES ($token, $payload, $max, $priority, $delay, $key, $trace);
        """;

    /// <summary>Adds one chunk under <paramref name="token"/>. Returns how many rows were staged.</summary>
    public static long Stage(SqliteWrite write, long token, IReadOnlyList<NewTask> tasks)
    {
        write.Execute(CreateTable);
        var insert = write.Hot(InsertStaged, ("$token", token), ("$payload", null), ("$max", null), ("$priority", null), ("$delay", null), ("$key", null), ("$trace", null));
        var trace = insert.Parameters["$trace"];
        var payload = insert.Parameters["$payload"];
        var max = insert.Parameters["$max"];
        var priority = insert.Parameters["$priority"];
        var delay = insert.Parameters["$delay"];
        var key = insert.Parameters["$key"];
        foreach (var task in tasks)
        {
            payload.Value = task.Payload;
            max.Value = task.MaxAttempts;
            priority.Value = task.Priority;
            delay.Value = (long)task.Delay.TotalMilliseconds;
            key.Value = (object?)task.IdempotencyKey ?? DBNull.Value;
            trace.Value = (object?)task.TraceParent ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }

        return tasks.Count;
    }

    /// <summary>
    /// Moves every row staged under <paramref name="token"/> into the batch as pending tasks, in staging order, skipping
    /// rows whose idempotency key the batch already holds (or an earlier staged row took). Returns how many were new.
    /// </summary>
    public static long Commit(SqliteWrite write, long batchId, string type, long token)
    {
        write.Execute(CreateTable);
        // The WHERE clause also keeps SQLite from reading ON CONFLICT as a join constraint.
        var inserted = write.Execute("""
            INSERT INTO task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key, trace_parent)
            SELECT $batch, $type, 'pending', payload, max_attempts, priority, $now + delay_ms, $now, idempotency_key, trace_parent
            FROM temp.staged_task WHERE token = $token ORDER BY rowid
            ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
            """, ("$batch", batchId), ("$type", type), ("$now", write.NowMs), ("$token", token));
        Forget(write, token);
        return inserted;
    }

    /// <summary>Forgets the rows staged under <paramref name="token"/>.</summary>
    public static void Abort(SqliteWrite write, long token)
    {
        write.Execute(CreateTable);
        Forget(write, token);
    }

    private static void Forget(SqliteWrite write, long token)
        => write.Execute("DELETE FROM temp.staged_task WHERE token = $token;", ("$token", token));
}
