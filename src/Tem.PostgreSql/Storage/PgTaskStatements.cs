using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>The PostgreSQL statements that add tasks and read them. A group of rows goes in as one statement over <c>unnest</c>ed arrays.</summary>
internal static class PgTaskStatements
{
    private const string Columns =
        "id, batch_id, type, status, payload, result, error, attempt, max_attempts, priority, run_after, created_at, claimed_at, completed_at, idempotency_key, lease_owner";

    /// <summary>
    /// The insert every enqueue uses: one statement for the whole group, in the caller's order (ids follow it); a row
    /// whose idempotency key the batch already holds — or an earlier row of the same group holds — is skipped.
    /// </summary>
    public const string InsertMany = """
        INSERT INTO {s}.task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key, enqueue_token, trace_parent)
        SELECT @batch, @type, @status, r.payload, r.max_attempts, r.priority, {now} + r.delay, {now}, r.idempotency_key, @token::bigint, r.trace_parent
        FROM unnest(@payloads::text[], @maxes::integer[], @priorities::integer[], @delays::bigint[], @keys::text[], @traces::text[])
            WITH ORDINALITY AS r (payload, max_attempts, priority, delay, idempotency_key, trace_parent, n)
        ORDER BY r.n
        ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
        """;

    /// <summary>Inserts <paramref name="tasks"/> with <paramref name="status"/> ('pending', or 'staged' under a token); returns how many were new.</summary>
    public static async ValueTask<long> InsertManyAsync(PgSession tx, long batchId, string type, IReadOnlyList<NewTask> tasks, string status, long? token, CancellationToken ct)
    {
        var payloads = new string[tasks.Count];
        var maxes = new int[tasks.Count];
        var priorities = new int[tasks.Count];
        var delays = new long[tasks.Count];
        var keys = new string?[tasks.Count];
        var traces = new string?[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            (payloads[i], maxes[i], priorities[i], delays[i], keys[i]) =
                (tasks[i].Payload, tasks[i].MaxAttempts, tasks[i].Priority, (long)tasks[i].Delay.TotalMilliseconds, tasks[i].IdempotencyKey);
            traces[i] = tasks[i].TraceParent;
        }

        return await tx.ExecuteAsync(InsertMany, ct, ("batch", batchId), ("type", type), ("status", status), ("token", token),
            ("payloads", payloads), ("maxes", maxes), ("priorities", priorities), ("delays", delays), ("keys", keys), ("traces", traces)).ConfigureAwait(false);
    }

    /// <summary>Inserts one pending task; returns its id and true, or the id of the task that already holds its idempotency key and false.</summary>
    public static async ValueTask<(long Id, bool Inserted)> InsertOneAsync(PgSession tx, long batchId, string type, NewTask task, CancellationToken ct)
    {
        var id = await tx.ScalarAsync("""
            INSERT INTO {s}.task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key, trace_parent)
            VALUES (@batch, @type, 'pending', @payload, @max, @priority, {now} + @delay, {now}, @key::text, @trace::text)
            ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id;
            """, ct, ("batch", batchId), ("type", type), ("payload", task.Payload), ("max", task.MaxAttempts), ("priority", task.Priority),
            ("delay", (long)task.Delay.TotalMilliseconds), ("key", task.IdempotencyKey), ("trace", task.TraceParent)).ConfigureAwait(false);
        if (id is long inserted)
        {
            return (inserted, true);
        }

        var existing = await tx.ScalarAsync("SELECT id FROM {s}.task WHERE batch_id = @batch AND idempotency_key = @key;", ct,
            ("batch", batchId), ("key", task.IdempotencyKey)).ConfigureAwait(false);
        return ((long)existing!, false);
    }

    /// <summary>Staged rows of <paramref name="token"/> → pending, all in this one statement. Returns how many.</summary>
    public static ValueTask<int> CommitStagedAsync(PgSession tx, long token, CancellationToken ct)
        => tx.ExecuteAsync("UPDATE {s}.task SET status = 'pending', enqueue_token = NULL WHERE enqueue_token = @token AND status = 'staged';", ct, ("token", token));

    public static ValueTask<int> AbortStagedAsync(PgSession tx, long token, CancellationToken ct)
        => tx.ExecuteAsync("DELETE FROM {s}.task WHERE enqueue_token = @token AND status = 'staged';", ct, ("token", token));

    /// <summary>Removes staged rows that no enqueue can still commit: their process stopped mid-call a day ago or more.</summary>
    public static ValueTask<int> DeleteAbandonedStagedAsync(PgSession tx, CancellationToken ct)
        => tx.ExecuteAsync("DELETE FROM {s}.task WHERE status = 'staged' AND created_at < {now} - 86400000;", ct);

    public static async ValueTask<TemTask?> GetAsync(PgSession tx, long taskId, CancellationToken ct)
        => (await tx.ListAsync($"SELECT {Columns} FROM {{s}}.task WHERE id = @id AND status <> 'staged';", TaskRow.Read, ct, ("id", taskId)).ConfigureAwait(false)).FirstOrDefault();

    public static ValueTask<List<TemTask>> ListAsync(PgSession tx, TaskQuery query, CancellationToken ct) => tx.ListAsync($"""
        SELECT {Columns} FROM {"{s}"}.task
        WHERE id > @after AND status <> 'staged'
          AND (@batch::bigint IS NULL OR batch_id = @batch::bigint)
          AND (@status::text IS NULL OR status = @status::text)
          AND (@type::text IS NULL OR type = @type::text)
        ORDER BY id LIMIT @limit;
        """, TaskRow.Read, ct,
        ("after", query.AfterId), ("batch", query.BatchId), ("status", query.Status is { } s ? StatusNames.ToText(s) : null),
        ("type", query.Type), ("limit", query.Limit));

    public static async ValueTask<long> CountPendingAsync(PgSession tx, CancellationToken ct)
        => (long)(await tx.ScalarAsync("SELECT COUNT(*) FROM {s}.task WHERE status = 'pending';", ct).ConfigureAwait(false))!;
}
