namespace Tem.Storage.Postgres;

/// <summary>
/// The PostgreSQL statements of a task's run: claim, outcomes, lease upkeep and heartbeats — the fused hot paths, kept
/// as statements of this dialect for speed (lost runs are <see cref="LostRunRules"/> over <see cref="PgLedger"/>).
/// Claims lock with <c>FOR UPDATE SKIP LOCKED</c>, so engines on many hosts claim side by side without waiting on
/// each other; outcomes go in one statement per kind, each row still conditional on status and version.
/// </summary>
internal static class PgRunStatements
{
    /// <summary>
    /// The claim, one statement: for each active batch in scope and each handled type, the first rows of that pair's
    /// slice of <c>task_claimable</c>, skipping rows another claim holds; of those, the first overall by priority then
    /// id. Rows of inactive batches and of other types are never read. The pairs' extra picks stay locked only until
    /// this transaction ends.
    /// </summary>
    public const string Claim = """
        WITH picked AS (
            SELECT c.id FROM {s}.batch b
            CROSS JOIN unnest(@types::text[]) AS handled (type)
            CROSS JOIN LATERAL (
                SELECT t.id, t.priority FROM {s}.task t
                WHERE t.batch_id = b.id AND t.type = handled.type AND t.status = 'pending' AND t.run_after <= {now}
                ORDER BY t.priority DESC, t.id
                LIMIT @limit
                FOR UPDATE OF t SKIP LOCKED) c
            WHERE b.status = 'active'
              AND (@batchIds::bigint[] IS NULL OR b.id = ANY(@batchIds::bigint[]))
              AND (@batchTypes::text[] IS NULL OR b.type = ANY(@batchTypes::text[]))
            ORDER BY c.priority DESC, c.id
            LIMIT @limit),
        claimed AS (
            UPDATE {s}.task t
            SET status = 'running', attempt = t.attempt + 1, lease_owner = @owner, lease_expires_at = {now} + @lease,
                claimed_at = {now}, version = t.version + 1
            FROM picked WHERE t.id = picked.id
            RETURNING t.id, t.batch_id, t.type, t.payload, t.attempt, t.max_attempts, t.version, t.priority, t.idempotency_key, t.rate_limit_deferrals, t.trace_parent),
        -- The batches' runtime criterion counts from their first claim; in the same statement, so a claim is one round trip.
        started AS (
            UPDATE {s}.batch b SET started_at = {now}
            WHERE b.started_at IS NULL AND b.id IN (SELECT DISTINCT batch_id FROM claimed))
        SELECT id, batch_id, type, payload, attempt, max_attempts, version, priority, idempotency_key, rate_limit_deferrals, trace_parent FROM claimed;
        """;

    /// <summary>running → completed for every row of the group still at the version its claim gave it.</summary>
    public const string Complete = """
        UPDATE {s}.task t SET status = 'completed', result = o.result, error = NULL, completed_at = {now},
            lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @texts::text[], @delays::bigint[]) AS o (id, version, result, delay)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    private const string Retry = """
        UPDATE {s}.task t SET status = 'pending', error = o.error, run_after = {now} + o.delay,
            lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @texts::text[], @delays::bigint[]) AS o (id, version, error, delay)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    private const string Fail = """
        UPDATE {s}.task t SET status = 'failed', error = o.error, completed_at = {now},
            lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @texts::text[], @delays::bigint[]) AS o (id, version, error, delay)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    private const string Defer = """
        UPDATE {s}.task t SET status = 'pending', error = o.error, run_after = {now} + o.delay, attempt = t.attempt - 1,
            rate_limit_deferrals = t.rate_limit_deferrals + 1, lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @texts::text[], @delays::bigint[]) AS o (id, version, error, delay)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    private const string Release = """
        UPDATE {s}.task t SET status = 'pending', run_after = {now} + o.delay, attempt = t.attempt - 1,
            lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @texts::text[], @delays::bigint[]) AS o (id, version, error, delay)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    /// <summary>Kept before a group's transition, while the rows still show the attempt that ran; nothing for a claim that is gone.</summary>
    private const string History = """
        INSERT INTO {s}.task_attempt (task_id, batch_id, attempt, outcome, error, detail, claimed_at, ended_at)
        SELECT t.id, t.batch_id, t.attempt, o.outcome, o.error, o.detail, t.claimed_at, {now}
        FROM unnest(@ids::bigint[], @versions::bigint[], @outcomes::text[], @errors::text[], @details::text[]) AS o (id, version, outcome, error, detail)
        JOIN {s}.task t ON t.id = o.id AND t.status = 'running' AND t.version = o.version;
        """;

    public static async ValueTask<List<ClaimedTask>> ClaimAsync(PgSession tx, string owner, string[] types, ClaimScope scope, int limit, TimeSpan lease, CancellationToken ct)
    {
        var claimed = await tx.ListAsync(Claim, ReadClaimed, ct, ClaimParameters(owner, types, scope, limit, lease)).ConfigureAwait(false);
        SortClaimed(claimed);
        return claimed;
    }

    /// <summary>The parameters of <see cref="Claim"/>.</summary>
    public static (string Name, object? Value)[] ClaimParameters(string owner, string[] types, ClaimScope scope, int limit, TimeSpan lease) =>
    [
        ("owner", owner), ("lease", (long)lease.TotalMilliseconds), ("types", types), ("limit", limit),
        ("batchIds", scope.BatchIdsJson is { } ids ? System.Text.Json.JsonSerializer.Deserialize(ids, TemCoreJsonContext.Default.Int64Array) : null),
        ("batchTypes", scope.BatchTypesJson is { } bt ? System.Text.Json.JsonSerializer.Deserialize(bt, TemCoreJsonContext.Default.StringArray) : null),
    ];

    /// <summary>One row of <see cref="Claim"/>.</summary>
    public static ClaimedTask ReadClaimed(Npgsql.NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt32(4),
        r.GetInt32(5), r.GetInt64(6), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetInt32(9),
        r.IsDBNull(10) ? null : r.GetString(10));

    /// <summary>RETURNING gives no order; tasks are handed out in claim order (priority, then id).</summary>
    public static void SortClaimed(List<ClaimedTask> claimed)
        => claimed.Sort(static (a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));

    /// <summary>Writes a group's outcomes, one statement per kind present; returns those whose claim was gone (recovered, resumed or cancelled elsewhere).</summary>
    public static async ValueTask<List<TaskOutcome>> WriteOutcomesAsync(PgSession tx, IReadOnlyList<TaskOutcome> outcomes, CancellationToken ct)
    {
        var history = outcomes.Where(o => o.Kind is OutcomeKind.Retry or OutcomeKind.Failed or OutcomeKind.Deferred).OrderBy(o => o.TaskId).ToArray();
        if (history.Length > 0)
        {
            await tx.ExecuteAsync(History, ct, ("ids", history.Select(o => o.TaskId).ToArray()), ("versions", history.Select(o => o.Version).ToArray()),
                ("outcomes", history.Select(o => AttemptNames.ToText(o.Kind, o.Overloaded)).ToArray()), ("errors", history.Select(o => o.Error).ToArray()),
                ("details", history.Select(o => o.Detail).ToArray())).ConfigureAwait(false);
        }

        var applied = new HashSet<(long Id, long Version)>();
        foreach (var group in outcomes.GroupBy(o => o.Kind))
        {
            // Rows in id order: two writers touching overlapping rows lock them in one order.
            var rows = group.OrderBy(o => o.TaskId).ToArray();
            var sql = group.Key switch
            {
                OutcomeKind.Completed => Complete,
                OutcomeKind.Retry => Retry,
                OutcomeKind.Failed => Fail,
                OutcomeKind.Deferred => Defer,
                _ => Release,
            };
            var done = await tx.ListAsync(sql, r => (r.GetInt64(0), r.GetInt64(1)), ct,
                ("ids", rows.Select(o => o.TaskId).ToArray()), ("versions", rows.Select(o => o.Version).ToArray()),
                ("texts", rows.Select(o => group.Key == OutcomeKind.Completed ? o.Result : o.Error).ToArray()),
                ("delays", rows.Select(o => (long)o.Delay.TotalMilliseconds).ToArray())).ConfigureAwait(false);
            applied.UnionWith(done);
            if (group.Key is OutcomeKind.Retry or OutcomeKind.Deferred or OutcomeKind.Released && done.Count > 0)
            {
                // Other engines may claim these now or once the shortest delay passes.
                tx.Changes.WorkAvailable(rows.Min(o => o.Delay));
            }
        }

        return outcomes.Where(o => !applied.Contains((o.TaskId, o.Version))).ToList();
    }

    /// <summary>Upserts the worker's heartbeat and extends the leases of exactly the given runs it still holds.</summary>
    public static async ValueTask<int> HeartbeatAsync(PgSession tx, WorkerIdentity worker, IReadOnlyCollection<long> taskIds, TimeSpan lease, CancellationToken ct)
    {
        var leaseMs = (long)lease.TotalMilliseconds;
        await tx.ExecuteAsync("""
            INSERT INTO {s}.worker (owner, machine, pid, started_at, heartbeat_at, expires_at, task_types, scope) VALUES (@owner, @machine, @pid, {now}, {now}, {now} + @lease, @types, @scope::text)
            ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, task_types = excluded.task_types, scope = excluded.scope;
            """, ct, ("scope", worker.Scope), ("owner", worker.Owner), ("machine", worker.Machine), ("pid", worker.ProcessId), ("lease", leaseMs),
            ("types", System.Text.Json.JsonSerializer.Serialize(worker.TaskTypes.ToArray(), TemCoreJsonContext.Default.StringArray))).ConfigureAwait(false);
        if (taskIds.Count == 0)
        {
            return 0;
        }

        return await tx.ExecuteAsync("""
            UPDATE {s}.task SET lease_expires_at = {now} + @lease
            WHERE id = ANY(@ids) AND lease_owner = @owner AND status = 'running';
            """, ct, ("lease", leaseMs), ("ids", taskIds.ToArray()), ("owner", worker.Owner)).ConfigureAwait(false);
    }

    public static ValueTask<int> RemoveWorkerAsync(PgSession tx, string owner, CancellationToken ct)
        => tx.ExecuteAsync("DELETE FROM {s}.worker WHERE owner = @owner;", ct, ("owner", owner));

    public static ValueTask<List<WorkerIdentity>> LiveWorkersAsync(PgSession tx, CancellationToken ct) => tx.ListAsync(
        "SELECT owner, machine, pid, task_types FROM {s}.worker WHERE expires_at >= {now} ORDER BY owner;",
        r => new WorkerIdentity(r.GetString(0), r.GetString(1), r.GetInt32(2))
        {
            TaskTypes = System.Text.Json.JsonSerializer.Deserialize(r.GetString(3), TemCoreJsonContext.Default.StringArray) ?? [],
        }, ct);

    /// <summary>The batch's pending tasks per type.</summary>
    public static ValueTask<List<(string Type, long Count)>> PendingTypesAsync(PgSession tx, long batchId, CancellationToken ct) => tx.ListAsync(
        "SELECT type, COUNT(*) FROM {s}.task WHERE batch_id = @id AND status = 'pending' GROUP BY type ORDER BY type;",
        r => (r.GetString(0), r.GetInt64(1)), ct, ("id", batchId));

    /// <summary>The task's earlier attempts, oldest first.</summary>
    public static ValueTask<List<TaskAttempt>> AttemptsAsync(PgSession tx, long taskId, CancellationToken ct) => tx.ListAsync(
        "SELECT attempt, outcome, error, detail, result, claimed_at, ended_at FROM {s}.task_attempt WHERE task_id = @id ORDER BY id;",
        r => new TaskAttempt(r.GetInt32(0), AttemptNames.Parse(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))),
        ct, ("id", taskId));
}
