using System.Collections.Concurrent;
using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>
/// The hot path of outcome writing: a group in which every run completed, of batches without interruption criteria
/// (nothing to judge), written in one round trip. One statement completes the rows still running at their claim's
/// version and adds them to their batches' counters (a data-modifying CTE); a second, pipelined in the same
/// <see cref="NpgsqlBatch"/>, completes each batch with nothing left pending or running and notifies the other
/// engines. The batch runs as one implicit transaction (one Sync), and the second statement takes its snapshot after
/// the first locked the batch rows, so of two writers finishing a batch's last tasks the later one sees the earlier
/// one's rows — the reason the completion check is its own statement and not a third CTE. Everything else (retries,
/// failures, refusals, criteria) takes the general path in <see cref="PostgresTemStore.ApplyOutcomesAsync"/>. The
/// worker's refill (the next tasks for the slots the group frees) rides in the same batch as a third statement.
/// A fused hot path on purpose: it does not run <see cref="OutcomeTallyRules"/> (it has no criteria to judge), so a
/// change to the tally or completion rules must be made here too (issue 26 owns the tally's redesign).
/// </summary>
internal sealed class PgCompletedGroup(PgDatabase db)
{
    private const string CompleteAndTally = """
        WITH done AS (
            UPDATE {s}.task t SET status = 'completed', result = o.result, error = NULL, completed_at = {now},
                lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
            FROM unnest(@ids::bigint[], @versions::bigint[], @results::text[]) AS o (id, version, result)
            WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
            RETURNING t.id, o.version, t.batch_id),
        tallied AS (
            UPDATE {s}.batch b SET run_completed = b.run_completed + c.n, consecutive_failures = 0
            FROM (SELECT batch_id, COUNT(*) AS n FROM done GROUP BY batch_id) AS c
            WHERE b.id = c.batch_id AND b.status = 'active')
        SELECT id, version FROM done;
        """;

    private const string CompleteBatches = """
        WITH finished AS (
            UPDATE {s}.batch b SET status = 'completed', completed_at = COALESCE(b.completed_at, {now})
            WHERE b.id = ANY(@batchIds) AND b.status = 'active' AND b.interruption_criteria IS NULL
              AND EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = b.id AND status <> 'staged')
              AND NOT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = b.id AND status IN ('pending', 'running'))
            RETURNING b.id)
        SELECT pg_notify(@channel, @payload) FROM (SELECT 1 FROM finished LIMIT 1) AS f;
        """;

    /// <summary>Whether each batch seen has interruption criteria (set at creation, never changed).</summary>
    private readonly ConcurrentDictionary<long, bool> _hasCriteria = new();

    /// <summary>
    /// Writes <paramref name="outcomes"/> in one round trip when the fast path applies, and with a
    /// <paramref name="refill"/> of at least one task claims for the slots they free in the same round trip (a third
    /// statement, <see cref="PgRunStatements.Claim"/>). Null when the fast path does not apply (the caller takes the
    /// general path). Returns the outcomes whose claim was gone, and the tasks claimed.
    /// </summary>
    public async ValueTask<(List<TaskOutcome> Rejected, List<ClaimedTask> Claimed)?> TryWriteAsync(IReadOnlyList<TaskOutcome> outcomes, ClaimRequest? refill, CancellationToken ct)
    {
        if (outcomes.Count == 0 || outcomes.Any(o => o.Kind != OutcomeKind.Completed))
        {
            return null;
        }

        var batchIds = outcomes.Select(o => o.BatchId).Distinct().Order().ToArray();
        if (!await AllWithoutCriteriaAsync(batchIds, ct).ConfigureAwait(false))
        {
            return null;
        }

        var rows = outcomes.OrderBy(o => o.TaskId).ToArray(); // rows in id order: overlapping writers lock in one order
        return await db.RunStatementAsync<(List<TaskOutcome>, List<ClaimedTask>)?>(async tx =>
        {
            await using var batch = new NpgsqlBatch(tx.Connection);
            batch.BatchCommands.Add(Command(CompleteAndTally, ("ids", rows.Select(o => o.TaskId).ToArray()), ("versions", rows.Select(o => o.Version).ToArray()),
                ("results", rows.Select(o => o.Result).ToArray())));
            batch.BatchCommands.Add(Command(CompleteBatches, ("batchIds", batchIds), ("channel", db.Channel), ("payload", db.Origin + " " + PgNotifications.Changed)));
            if (refill is { Limit: > 0 })
            {
                batch.BatchCommands.Add(Command(PgRunStatements.Claim,
                    PgRunStatements.ClaimParameters(refill.Owner, [.. refill.TaskTypes], refill.Scope, refill.Limit, refill.Lease)));
            }

            var applied = new HashSet<(long, long)>();
            var claimed = new List<ClaimedTask>();
            await using (var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    applied.Add((reader.GetInt64(0), reader.GetInt64(1)));
                }

                if (refill is { Limit: > 0 })
                {
                    await reader.NextResultAsync(ct).ConfigureAwait(false); // the completion check's notification
                    await reader.NextResultAsync(ct).ConfigureAwait(false);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        claimed.Add(PgRunStatements.ReadClaimed(reader));
                    }
                }
            }

            PgRunStatements.SortClaimed(claimed);
            return (outcomes.Where(o => !applied.Contains((o.TaskId, o.Version))).ToList(), claimed);
        }, ct).ConfigureAwait(false);
    }

    private NpgsqlBatchCommand Command(string template, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = new NpgsqlBatchCommand(db.Sql(template));
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return command;
    }

    private async ValueTask<bool> AllWithoutCriteriaAsync(long[] batchIds, CancellationToken ct)
    {
        var unknown = batchIds.Where(id => !_hasCriteria.ContainsKey(id)).ToArray();
        if (unknown.Length > 0)
        {
            var found = await db.RunStatementAsync(tx => tx.ListAsync("SELECT id, interruption_criteria IS NOT NULL FROM {s}.batch WHERE id = ANY(@ids);",
                r => (Id: r.GetInt64(0), Has: r.GetBoolean(1)), ct, ("ids", unknown)), ct).ConfigureAwait(false);
            foreach (var (id, has) in found)
            {
                _hasCriteria[id] = has;
            }
        }

        return batchIds.All(id => _hasCriteria.TryGetValue(id, out var has) && !has);
    }
}
