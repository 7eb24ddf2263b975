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

    public static async ValueTask<Batch> CreateAsync(PgTransaction tx, string code, string type, string? metadataJson, string? criteriaJson, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            INSERT INTO {"{s}"}.batch (code, type, status, created_at, metadata, interruption_criteria)
            VALUES (@code, @type, 'active', {"{now}"}, @metadata::text, @criteria::text)
            ON CONFLICT (code) DO NOTHING
            RETURNING {Columns};
            """, ReadBatch, ct, ("code", code), ("type", type), ("metadata", metadataJson), ("criteria", criteriaJson)).ConfigureAwait(false);
        return rows.Count == 1 ? rows[0] : throw new DuplicateBatchCodeException(code);
    }

    public static async ValueTask<Batch?> GetAsync(PgTransaction tx, long batchId, CancellationToken ct)
        => (await tx.ListAsync($"SELECT {Columns} FROM {{s}}.batch WHERE id = @id;", ReadBatch, ct, ("id", batchId)).ConfigureAwait(false)).FirstOrDefault();

    public static async ValueTask<Batch?> GetByCodeAsync(PgTransaction tx, string code, CancellationToken ct)
        => (await tx.ListAsync($"SELECT {Columns} FROM {{s}}.batch WHERE code = @code;", ReadBatch, ct, ("code", code)).ConfigureAwait(false)).FirstOrDefault();

    public static ValueTask<List<Batch>> ListAsync(PgTransaction tx, string? type, BatchStatus? status, CancellationToken ct) => tx.ListAsync(
        $"SELECT {Columns} FROM {{s}}.batch WHERE (@type::text IS NULL OR type = @type::text) AND (@status::text IS NULL OR status = @status::text) ORDER BY id;",
        ReadBatch, ct, ("type", type), ("status", status is { } s ? StatusNames.ToText(s) : null));

    public static async ValueTask<BatchStats> StatsAsync(PgTransaction tx, long batchId, CancellationToken ct)
    {
        var rows = await tx.ListAsync("SELECT status, COUNT(*) FROM {s}.task WHERE batch_id = @id AND status <> 'staged' GROUP BY status;",
            r => (Status: StatusNames.ParseTask(r.GetString(0)), Count: r.GetInt64(1)), ct, ("id", batchId)).ConfigureAwait(false);
        long Count(TemTaskStatus status) => rows.Where(r => r.Status == status).Sum(r => r.Count);
        return new BatchStats(Count(TemTaskStatus.Pending), Count(TemTaskStatus.Running), Count(TemTaskStatus.Completed), Count(TemTaskStatus.Failed), Count(TemTaskStatus.Cancelled));
    }

    public static async ValueTask<(bool Pending, bool Running)> HasUnfinishedAsync(PgTransaction tx, long batchId, CancellationToken ct)
        => (await tx.ListAsync("""
            SELECT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status = 'pending'),
                   EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status = 'running');
            """, r => (r.GetBoolean(0), r.GetBoolean(1)), ct, ("id", batchId)).ConfigureAwait(false))[0];

    /// <summary>The batch's interruptions, newest first.</summary>
    public static ValueTask<List<BatchInterruption>> InterruptionsAsync(PgTransaction tx, long batchId, CancellationToken ct) => tx.ListAsync("""
        SELECT reason, created_at, pending, running, completed, failed, cancelled, kind
        FROM {s}.batch_interruption WHERE batch_id = @id ORDER BY id DESC;
        """,
        r => new BatchInterruption(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
            new BatchStats(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)), InterruptionNames.Parse(r.GetString(7))),
        ct, ("id", batchId));

    /// <summary>The batch's history, newest first.</summary>
    public static ValueTask<List<BatchEvent>> HistoryAsync(PgTransaction tx, long batchId, CancellationToken ct) => tx.ListAsync(
        "SELECT kind, message, created_at FROM {s}.batch_event WHERE batch_id = @id ORDER BY id DESC;",
        r => new BatchEvent(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))), ct, ("id", batchId));

    /// <summary>Adds an entry to the batch's history.</summary>
    public static ValueTask<int> RecordAsync(PgTransaction tx, long batchId, string kind, string message, CancellationToken ct) => tx.ExecuteAsync(
        "INSERT INTO {s}.batch_event (batch_id, kind, message, created_at) VALUES (@id, @kind, @message, {now});", ct,
        ("id", batchId), ("kind", kind), ("message", message));

    /// <summary>Tasks of the batch run again: it is not complete any more, whatever happens next.</summary>
    public static ValueTask<int> ReopenAsync(PgTransaction tx, long batchId, CancellationToken ct)
        => tx.ExecuteAsync("UPDATE {s}.batch SET completed_at = NULL WHERE id = @id AND status = 'active';", ct, ("id", batchId));

    /// <summary>Checks that the batch exists; returns its status. With <paramref name="lockRow"/>, holds the row until the transaction ends.</summary>
    public static async ValueTask<BatchStatus> RequireAsync(PgTransaction tx, long batchId, CancellationToken ct, bool lockRow = false)
        => await tx.ScalarAsync(lockRow ? "SELECT status FROM {s}.batch WHERE id = @id FOR NO KEY UPDATE;" : "SELECT status FROM {s}.batch WHERE id = @id;",
            ct, ("id", batchId)).ConfigureAwait(false) is string status
            ? StatusNames.ParseBatch(status)
            : throw new BatchNotFoundException($"No batch has id {batchId}. Batch ids come from Batches.CreateAsync, GetByCodeAsync or ListAsync.");

    /// <summary>
    /// Checks that the batch takes tasks; returns its status. With <paramref name="lockRow"/> (rows that become pending
    /// now), the batch row stays locked until the insert commits: an outcome write that would complete the batch
    /// either waits and then sees the new rows, or completes it first and this sees 'completed' and reopens it.
    /// </summary>
    public static async ValueTask<BatchStatus> RequireOpenForEnqueueAsync(PgTransaction tx, long batchId, CancellationToken ct, bool lockRow = true)
    {
        var status = await RequireAsync(tx, batchId, ct, lockRow).ConfigureAwait(false);
        if (status is BatchStatus.Cancelled or BatchStatus.Interrupted)
        {
            throw new BatchNotActiveException(
                $"Batch {batchId} is {StatusNames.ToText(status)} and takes no new tasks. " +
                (status == BatchStatus.Interrupted ? "Call Batches.ResumeAsync to reopen it, or create a new batch." : "Create a new batch."));
        }

        return status;
    }

    /// <summary>A completed batch that received new tasks is active again.</summary>
    public static ValueTask<int> ReactivateAsync(PgTransaction tx, long batchId, CancellationToken ct)
        => tx.ExecuteAsync("UPDATE {s}.batch SET status = 'active', completed_at = NULL WHERE id = @id AND status = 'completed';", ct, ("id", batchId));

    /// <summary>
    /// Makes the batch active with fresh interruption counters (resume, retry-failed) and returns the status it had.
    /// A cancelled batch stays cancelled. A completed batch keeps its completion time until a task is really returned.
    /// </summary>
    public static async ValueTask<BatchStatus> RestartAsync(PgTransaction tx, long batchId, CancellationToken ct)
    {
        var status = await RequireAsync(tx, batchId, ct, lockRow: true).ConfigureAwait(false);
        if (status == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Batch {batchId} is cancelled and cannot be resumed or retried. Create a new batch and enqueue its tasks again.");
        }

        await tx.ExecuteAsync("""
            UPDATE {s}.batch SET status = 'active', started_at = NULL,
                run_completed = 0, run_failed = 0, consecutive_failures = 0
            WHERE id = @id;
            """, ct, ("id", batchId)).ConfigureAwait(false);
        return status;
    }

    /// <summary>Tasks first, then the batch row: the order outcome writes lock them in, so the two never deadlock.</summary>
    public static async ValueTask<int> CancelAsync(PgTransaction tx, long batchId, CancellationToken ct)
    {
        await RequireAsync(tx, batchId, ct).ConfigureAwait(false);
        var cancelled = await tx.ExecuteAsync("""
            UPDATE {s}.task SET status = 'cancelled', completed_at = {now}, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
            WHERE batch_id = @id AND status IN ('pending', 'running');
            """, ct, ("id", batchId)).ConfigureAwait(false);
        await tx.ExecuteAsync("UPDATE {s}.batch SET status = 'cancelled', completed_at = {now} WHERE id = @id;", ct, ("id", batchId)).ConfigureAwait(false);
        await RecordAsync(tx, batchId, "cancelled", $"Cancelled; {cancelled} pending or running tasks were cancelled.", ct).ConfigureAwait(false);
        tx.Notify(PgNotifications.Cancelled(batchId));
        return cancelled;
    }

    /// <summary>Active batch → interrupted, with a record of the reason and the stats. False when it was not active.</summary>
    public static async ValueTask<bool> InterruptAsync(PgTransaction tx, long batchId, InterruptionKind kind, string reason, CancellationToken ct)
    {
        if (await tx.ExecuteAsync("UPDATE {s}.batch SET status = 'interrupted' WHERE id = @id AND status = 'active';", ct, ("id", batchId)).ConfigureAwait(false) == 0)
        {
            return false;
        }

        var stats = await StatsAsync(tx, batchId, ct).ConfigureAwait(false);
        await tx.ExecuteAsync("""
            INSERT INTO {s}.batch_interruption (batch_id, reason, created_at, pending, running, completed, failed, cancelled, kind)
            VALUES (@id, @reason, {now}, @pending, @running, @completed, @failed, @cancelled, @kind);
            """, ct, ("id", batchId), ("reason", reason), ("pending", stats.Pending), ("running", stats.Running),
            ("completed", stats.Completed), ("failed", stats.Failed), ("cancelled", stats.Cancelled), ("kind", InterruptionNames.ToText(kind))).ConfigureAwait(false);
        await RecordAsync(tx, batchId, "interrupted", reason, ct).ConfigureAwait(false);
        tx.Notify(PgNotifications.Changed);
        return true;
    }

    /// <summary>Interrupts every active batch whose runtime criterion has passed. Returns how many.</summary>
    public static async ValueTask<int> InterruptOverdueAsync(PgTransaction tx, CancellationToken ct)
    {
        var candidates = await tx.ListAsync("""
            SELECT id, interruption_criteria, started_at, {now} FROM {s}.batch
            WHERE status = 'active' AND started_at IS NOT NULL AND interruption_criteria LIKE '%maxRuntimeMs%';
            """, r => (Id: r.GetInt64(0), Criteria: r.GetString(1), StartedAt: r.GetInt64(2), Now: r.GetInt64(3)), ct).ConfigureAwait(false);
        var interrupted = 0;
        foreach (var batch in candidates)
        {
            if (BatchRules.OverdueReason(batch.Criteria, batch.StartedAt, batch.Now) is { } reason && await InterruptAsync(tx, batch.Id, reason.Kind, reason.Reason, ct).ConfigureAwait(false))
            {
                interrupted++;
            }
        }

        return interrupted;
    }

    /// <summary>
    /// Adds each batch's tally to its counters (in id order: concurrent writers lock batch rows in one order), then
    /// interrupts or completes it as <see cref="BatchRules"/> decides. Only batches with interruption criteria keep
    /// counters (the rules judge them); the others are only completed, by <see cref="PgBatchCompletion"/>'s rule, so
    /// their writers share no row (issue 26).
    /// </summary>
    public static async ValueTask ApplyTalliesAsync(PgTransaction tx, Dictionary<long, BatchTally> tallies, CancellationToken ct)
    {
        foreach (var (batchId, tally) in tallies.OrderBy(t => t.Key))
        {
            var rows = await tx.ListAsync("""
                UPDATE {s}.batch SET run_completed = run_completed + @completed, run_failed = run_failed + @failed,
                    consecutive_failures = CASE WHEN @reset THEN @row ELSE consecutive_failures + @row END
                WHERE id = @id AND status = 'active' AND interruption_criteria IS NOT NULL
                RETURNING interruption_criteria, run_completed, run_failed, consecutive_failures, started_at, {now};
                """, r => (Counters: new BatchCounters(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4)), Now: r.GetInt64(5)),
                ct, ("completed", tally.Completed), ("failed", tally.Failed), ("reset", tally.SawSuccess), ("row", tally.FailuresSinceSuccess), ("id", batchId)).ConfigureAwait(false);
            if (rows.Count == 0)
            {
                await CompleteIfDoneAsync(tx, batchId, ct).ConfigureAwait(false); // no criteria; or not active, and this does nothing
                continue;
            }

            // The rules ask for the batch's task count synchronously, and only sometimes: judge once to learn whether
            // they need it, then count and judge again (Judge is pure).
            int? wanted = null;
            var (verdict, reason) = BatchRules.Judge(rows[0].Counters, rows[0].Now, limit => (wanted = limit).Value);
            if (wanted is { } limit)
            {
                var tasks = await CountTasksAsync(tx, batchId, limit, ct).ConfigureAwait(false);
                (verdict, reason) = BatchRules.Judge(rows[0].Counters, rows[0].Now, _ => tasks);
            }

            if (verdict == BatchVerdict.Interrupt && await InterruptAsync(tx, batchId, reason!.Value.Kind, reason.Value.Reason, ct).ConfigureAwait(false))
            {
                continue;
            }

            await CompleteIfDoneAsync(tx, batchId, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Interrupts each active batch whose refusals in this write trip its provider-trouble criteria. The rules ask for
    /// counts synchronously: a first pass learns which, they are counted, a second pass judges (the rules are pure).
    /// </summary>
    public static async ValueTask JudgeRefusalsAsync(PgTransaction tx, IEnumerable<long> batchIds, CancellationToken ct)
    {
        foreach (var batchId in batchIds.Order())
        {
            var criteria = (await tx.ListAsync("SELECT interruption_criteria FROM {s}.batch WHERE id = @id AND status = 'active';",
                r => r.IsDBNull(0) ? null : r.GetString(0), ct, ("id", batchId)).ConfigureAwait(false)).FirstOrDefault();
            var wanted = new List<(string Outcome, TimeSpan Window)>();
            BatchRules.ProviderTrouble(criteria, (outcome, window) =>
            {
                wanted.Add((outcome, window));
                return 0;
            });
            var counts = new Dictionary<(string, TimeSpan), long>();
            foreach (var (outcome, window) in wanted)
            {
                counts[(outcome, window)] = (long)(await tx.ScalarAsync(
                    "SELECT COUNT(*) FROM {s}.task_attempt WHERE batch_id = @id AND outcome = @outcome AND ended_at > {now} - @window;", ct,
                    ("id", batchId), ("outcome", outcome), ("window", (long)window.TotalMilliseconds)).ConfigureAwait(false))!;
            }

            if (BatchRules.ProviderTrouble(criteria, (outcome, window) => counts.GetValueOrDefault((outcome, window))) is { } trip)
            {
                await InterruptAsync(tx, batchId, trip.Kind, trip.Reason, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many tasks the batch holds, counting no further than <paramref name="limit"/>.</summary>
    private static async ValueTask<long> CountTasksAsync(PgTransaction tx, long batchId, int limit, CancellationToken ct)
        => (long)(await tx.ScalarAsync("SELECT COUNT(*) FROM (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status <> 'staged' LIMIT @limit) AS t;",
            ct, ("id", batchId), ("limit", limit)).ConfigureAwait(false))!;

    /// <summary>
    /// An active batch with tasks, none of them pending or running, is completed: exactly once, however many writers
    /// end its last tasks at once (<see cref="PgBatchCompletion"/>'s rule: lock the batch row unless a witness is found).
    /// </summary>
    public static async ValueTask CompleteIfDoneAsync(PgTransaction tx, long batchId, CancellationToken ct)
    {
        await tx.ListAsync(PgBatchCompletion.LockIfLast, r => r.GetInt64(0), ct, ("batchIds", (object)new[] { batchId })).ConfigureAwait(false);
        var completed = await tx.ExecuteAsync("""
            UPDATE {s}.batch SET status = 'completed', completed_at = COALESCE(completed_at, {now})
            WHERE id = @id AND status = 'active'
              AND EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status <> 'staged')
              AND NOT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = @id AND status IN ('pending', 'running'));
            """, ct, ("id", batchId)).ConfigureAwait(false);
        if (completed > 0)
        {
            tx.Notify(PgNotifications.Changed);
        }
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
