using System.Text;

namespace Tem.Storage;

/// <summary>
/// The SQLite statements of a task's run: claim, outcome, lease upkeep and heartbeats — the fused hot paths, kept as
/// statements of this dialect for speed. Lost runs are <see cref="LostRunRules"/> over <see cref="SqliteLedger"/>.
/// </summary>
internal static class SqliteRunStatements
{
    /// <summary>
    /// The claim: one statement for many rows. For each active batch in scope and each handled type, the first
    /// <c>$limit</c> claimable rows in that pair's slice of the index; of those, the first <c>$limit</c> overall by
    /// priority, then id. Rows of inactive batches and of other types are never read.
    /// </summary>
    public const string Claim = """
        UPDATE task
        SET status = 'running', attempt = attempt + 1, lease_owner = $owner, lease_expires_at = $now + $lease,
            claimed_at = $now, version = version + 1
        WHERE id IN (
            -- CROSS JOIN fixes the loop order (SQLite never reorders it): pairs outside, tasks found by id inside.
            -- Any other order scans the task table on every claim.
            SELECT t.id FROM batch b
            CROSS JOIN json_each($types) handled
            CROSS JOIN task t
            -- Correlated, so it runs once per (batch, type) pair; the hint keeps the planner from sorting the batch.
            WHERE t.id IN (
                SELECT c.id FROM task c INDEXED BY task_claimable
                WHERE c.batch_id = b.id AND c.type = handled.value AND c.status = 'pending' AND c.run_after <= $now
                ORDER BY c.priority DESC, c.id
                LIMIT $limit)
              AND b.status = 'active'
              AND ($batchIds IS NULL OR b.id IN (SELECT value FROM json_each($batchIds)))
              AND ($batchTypes IS NULL OR b.type IN (SELECT value FROM json_each($batchTypes)))
              -- Routes (issue 24): an LLM type's task goes to the batch API (1) or runs live (0) by its batch's route;
              -- Auto sends first attempts to the batch API and the rest live. Other types always run live.
              AND ($routed IS NULL OR $forSubmission = (CASE WHEN handled.value IN (SELECT value FROM json_each($routed))
                  THEN (CASE b.route WHEN 'live' THEN 0 WHEN 'batch' THEN 1 ELSE t.attempt = 0 END) ELSE 0 END))
            ORDER BY t.priority DESC, t.id
            LIMIT $limit)
        RETURNING id, batch_id, type, payload, attempt, max_attempts, version, priority, idempotency_key, rate_limit_deferrals, trace_parent;
        """;

    /// <summary>running → completed, only for the claim it belongs to (same version, still running).</summary>
    public const string Complete = """
        UPDATE task SET status = 'completed', result = $result, error = NULL, completed_at = $now,
            lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    private const string History = """
        INSERT INTO task_attempt (task_id, batch_id, attempt, outcome, error, detail, claimed_at, ended_at)
        SELECT id, batch_id, attempt, $outcome, $error, $detail, claimed_at, $now FROM task
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    private const string Retry = """
        UPDATE task SET status = 'pending', error = $error, run_after = $now + $delay,
            lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    private const string Fail = """
        UPDATE task SET status = 'failed', error = $error, completed_at = $now,
            lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    private const string Defer = """
        UPDATE task SET status = 'pending', error = $error, run_after = $now + $delay, attempt = attempt - 1,
            rate_limit_deferrals = rate_limit_deferrals + 1, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    private const string Release = """
        UPDATE task SET status = 'pending', run_after = $now + $delay, attempt = attempt - 1,
            lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $id AND status = 'running' AND version = $version;
        """;

    public static List<ClaimedTask> ClaimTasks(SqliteWrite write, string owner, string typesJson, ClaimScope scope, int limit, TimeSpan lease)
    {
        var claimed = new List<ClaimedTask>(limit);
        var command = write.Hot(Claim, ("$owner", owner), ("$lease", (long)lease.TotalMilliseconds), ("$now", write.NowMs),
            ("$types", typesJson), ("$limit", limit), ("$batchIds", scope.BatchIdsJson), ("$batchTypes", scope.BatchTypesJson),
            ("$routed", scope.RoutedTypesJson), ("$forSubmission", scope.ForSubmission ? 1 : 0));
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                claimed.Add(new ClaimedTask(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetInt32(5), reader.GetInt64(6), reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10)));
            }
        }

        if (claimed.Count > 0)
        {
            SqliteBatchStatements.MarkStarted(write, JsonIds(claimed.Select(c => c.BatchId).Distinct()));
            // RETURNING gives no order; hand tasks out in claim order.
            claimed.Sort(static (a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));
        }

        return claimed;
    }

    /// <summary>One outcome's transition; 0 when the claim it belongs to is gone (recovered, resumed or cancelled elsewhere).</summary>
    public static int WriteOutcome(SqliteWrite write, TaskOutcome outcome)
    {
        var (id, version, now) = (("$id", (object?)outcome.TaskId), ("$version", (object?)outcome.Version), ("$now", (object?)write.NowMs));
        if (outcome.Kind is OutcomeKind.Retry or OutcomeKind.Failed or OutcomeKind.Deferred)
        {
            // Kept before the transition, while the row still shows the attempt that ran; nothing if the claim is gone.
            write.Hot(History, id, version, now, ("$outcome", AttemptNames.ToText(outcome.Kind, outcome.Overloaded)), ("$error", outcome.Error), ("$detail", outcome.Detail))
                .ExecuteNonQuery();
        }

        var delay = ("$delay", (object?)(long)outcome.Delay.TotalMilliseconds);
        var command = outcome.Kind switch
        {
            OutcomeKind.Completed => write.Hot(Complete, id, version, now, ("$result", outcome.Result)),
            OutcomeKind.Retry => write.Hot(Retry, id, version, now, delay, ("$error", outcome.Error)),
            OutcomeKind.Failed => write.Hot(Fail, id, version, now, ("$error", outcome.Error)),
            OutcomeKind.Deferred => write.Hot(Defer, id, version, now, delay, ("$error", outcome.Error)),
            _ => write.Hot(Release, id, version, now, delay), // a limit group's hand-back waits; every other release has no delay
        };
        return command.ExecuteNonQuery();
    }

    /// <summary>Upserts the worker's heartbeat and extends the leases of exactly the given runs it still holds.</summary>
    public static int Heartbeat(SqliteWrite write, WorkerIdentity worker, IReadOnlyCollection<long> taskIds, TimeSpan lease)
    {
        var leaseMs = (long)lease.TotalMilliseconds;
        write.Hot("""
            INSERT INTO worker (owner, machine, pid, started_at, heartbeat_at, expires_at, task_types, scope) VALUES ($owner, $machine, $pid, $now, $now, $now + $lease, $types, $scope)
            ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, task_types = excluded.task_types, scope = excluded.scope;
            """, ("$scope", worker.Scope), ("$owner", worker.Owner), ("$machine", worker.Machine), ("$pid", worker.ProcessId), ("$now", write.NowMs), ("$lease", leaseMs),
            ("$types", System.Text.Json.JsonSerializer.Serialize(worker.TaskTypes.ToArray(), TemCoreJsonContext.Default.StringArray))).ExecuteNonQuery();
        if (taskIds.Count == 0)
        {
            return 0;
        }

        return write.Hot("""
            UPDATE task SET lease_expires_at = $now + $lease
            WHERE id IN (SELECT value FROM json_each($ids)) AND lease_owner = $owner AND status = 'running';
            """, ("$now", write.NowMs), ("$lease", leaseMs), ("$ids", JsonIds(taskIds)), ("$owner", worker.Owner)).ExecuteNonQuery();
    }

    public static void RemoveWorker(SqliteWrite write, string owner) => write.Execute("DELETE FROM worker WHERE owner = $owner;", ("$owner", owner));

    public static List<WorkerIdentity> LiveWorkers(SqliteRead read, long nowMs) => read.List(
        "SELECT owner, machine, pid, task_types FROM worker WHERE expires_at >= $now ORDER BY owner;",
        r => new WorkerIdentity(r.GetString(0), r.GetString(1), r.GetInt32(2))
        {
            TaskTypes = System.Text.Json.JsonSerializer.Deserialize(r.GetString(3), TemCoreJsonContext.Default.StringArray) ?? [],
        }, ("$now", nowMs));

    /// <summary>The batch's pending tasks per type.</summary>
    public static List<(string Type, long Count)> PendingTypes(SqliteRead read, long batchId) => read.List(
        "SELECT type, COUNT(*) FROM task WHERE batch_id = $id AND status = 'pending' GROUP BY type ORDER BY type;",
        r => (r.GetString(0), r.GetInt64(1)), ("$id", batchId));

    public static List<TaskAttempt> Attempts(SqliteRead read, long taskId) => read.List("""
        SELECT attempt, outcome, error, detail, result, claimed_at, ended_at FROM task_attempt WHERE task_id = $id ORDER BY id;
        """, r => new TaskAttempt(r.GetInt32(0), AttemptNames.Parse(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))),
        ("$id", taskId));

    public static string JsonIds(IEnumerable<long> ids)
    {
        var builder = new StringBuilder("[");
        foreach (var id in ids)
        {
            if (builder.Length > 1)
            {
                builder.Append(',');
            }

            builder.Append(id);
        }

        return builder.Append(']').ToString();
    }
}
