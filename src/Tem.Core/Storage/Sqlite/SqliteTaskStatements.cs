using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>The SQLite statements that add tasks and read them.</summary>
internal static class SqliteTaskStatements
{
    private const string Columns =
        "id, batch_id, type, status, payload, result, error, attempt, max_attempts, priority, run_after, created_at, claimed_at, completed_at, idempotency_key, lease_owner";

    /// <summary>The insert every enqueue uses; a row whose idempotency key the batch already holds is skipped.</summary>
    public const string Insert = """
        INSERT INTO task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key, enqueue_token, trace_parent)
        VALUES ($batch, $type, $status, $payload, $max, $priority, $now + $delay, $now, $key, $token, $trace)
        ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
        """;

    /// <summary>Inserts <paramref name="tasks"/> with <paramref name="status"/> ('pending', or 'staged' under a token); returns how many were new.</summary>
    public static long InsertMany(SqliteWrite write, long batchId, string type, IReadOnlyList<NewTask> tasks, string status, long? token)
    {
        var insert = write.Hot(Insert, ("$batch", batchId), ("$type", type), ("$status", status), ("$now", write.NowMs), ("$token", token),
            ("$payload", null), ("$max", null), ("$priority", null), ("$delay", null), ("$key", null), ("$trace", null));
        var trace = insert.Parameters["$trace"];
        var payload = insert.Parameters["$payload"];
        var max = insert.Parameters["$max"];
        var priority = insert.Parameters["$priority"];
        var delay = insert.Parameters["$delay"];
        var key = insert.Parameters["$key"];
        long inserted = 0;
        foreach (var task in tasks)
        {
            payload.Value = task.Payload;
            max.Value = task.MaxAttempts;
            priority.Value = task.Priority;
            delay.Value = (long)task.Delay.TotalMilliseconds;
            key.Value = (object?)task.IdempotencyKey ?? DBNull.Value;
            trace.Value = (object?)task.TraceParent ?? DBNull.Value;
            inserted += insert.ExecuteNonQuery();
        }

        return inserted;
    }

    /// <summary>Inserts one pending task; returns its id and true, or the id of the task that already holds its idempotency key and false.</summary>
    public static (long Id, bool Inserted) InsertOne(SqliteWrite write, long batchId, string type, NewTask task)
    {
        using var insert = write.Command("""
            INSERT INTO task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key, trace_parent)
            VALUES ($batch, $type, 'pending', $payload, $max, $priority, $now + $delay, $now, $key, $trace)
            ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id;
            """, ("$batch", batchId), ("$type", type), ("$payload", task.Payload), ("$max", task.MaxAttempts), ("$priority", task.Priority),
            ("$delay", (long)task.Delay.TotalMilliseconds), ("$now", write.NowMs), ("$key", task.IdempotencyKey), ("$trace", task.TraceParent));
        if (insert.ExecuteScalar() is long id)
        {
            return (id, true);
        }

        using var existing = write.Command("SELECT id FROM task WHERE batch_id = $batch AND idempotency_key = $key;", ("$batch", batchId), ("$key", task.IdempotencyKey));
        return ((long)existing.ExecuteScalar()!, false);
    }

    /// <summary>Removes staged rows that no enqueue can still commit: their process stopped mid-call a day ago or more.</summary>
    public static int DeleteAbandonedStaged(SqliteWrite write)
        => write.Execute("DELETE FROM task WHERE status = 'staged' AND created_at < $cutoff;", ("$cutoff", write.NowMs - (long)TimeSpan.FromDays(1).TotalMilliseconds));

    public static TemTask? Get(SqliteRead read, long taskId)
        => read.List($"SELECT {Columns} FROM task WHERE id = $id AND status <> 'staged';", TaskRow.Read, ("$id", taskId)).FirstOrDefault();

    public static List<TemTask> List(SqliteRead read, TaskQuery query) => read.List($"""
        SELECT {Columns} FROM task
        WHERE id > $after AND status <> 'staged'
          AND ($batch IS NULL OR batch_id = $batch)
          AND ($status IS NULL OR status = $status)
          AND ($type IS NULL OR type = $type)
        ORDER BY id LIMIT $limit;
        """, TaskRow.Read,
        ("$after", query.AfterId), ("$batch", query.BatchId), ("$status", query.Status is { } s ? StatusNames.ToText(s) : null),
        ("$type", query.Type), ("$limit", query.Limit));

    public static long CountPending(SqliteRead read)
    {
        using var command = read.Command("SELECT COUNT(*) FROM task INDEXED BY task_claimable WHERE status = 'pending';");
        return (long)command.ExecuteScalar()!;
    }
}
