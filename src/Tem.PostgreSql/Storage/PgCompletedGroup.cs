using System.Collections.Concurrent;
using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>
/// The hot path of outcome writing: a group in which every run completed, of batches without interruption criteria
/// (nothing to judge), written in one round trip: one <see cref="NpgsqlBatch"/>, one implicit transaction, whose
/// statements each take a fresh snapshot. It writes no shared row per batch, so workers on one batch never queue on
/// one lock (issue 26: they did, on the batch row's counters). First the rows still running at their claim's version
/// are completed; then <see cref="PgBatchCompletion.LockIfLast"/> lets only a writer that may be finishing the batch
/// lock its row, and <see cref="PgBatchCompletion.Complete"/> completes each batch with nothing left pending or
/// running and notifies the other engines. Everything else (retries, failures, refusals, criteria) takes the general
/// path in <see cref="PostgresTemStore.ApplyOutcomesAsync"/>. The worker's refill (the next tasks for the slots the
/// group frees) rides in the same batch as a last statement.
/// </summary>
internal sealed class PgCompletedGroup(PgDatabase db)
{
    private const string CompleteTasks = """
        UPDATE {s}.task t SET status = 'completed', result = o.result, error = NULL, completed_at = {now},
            lease_owner = NULL, lease_expires_at = NULL, version = t.version + 1
        FROM unnest(@ids::bigint[], @versions::bigint[], @results::text[]) AS o (id, version, result)
        WHERE t.id = o.id AND t.status = 'running' AND t.version = o.version
        RETURNING t.id, o.version;
        """;

    /// <summary>Whether each batch seen has interruption criteria (set at creation, never changed).</summary>
    private readonly ConcurrentDictionary<long, bool> _hasCriteria = new();

    /// <summary>
    /// Writes <paramref name="outcomes"/> in one round trip when the fast path applies, and with a
    /// <paramref name="refill"/> of at least one task claims for the slots they free in the same round trip (a last
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
            batch.BatchCommands.Add(Command(CompleteTasks, ("ids", rows.Select(o => o.TaskId).ToArray()), ("versions", rows.Select(o => o.Version).ToArray()),
                ("results", rows.Select(o => o.Result).ToArray())));
            batch.BatchCommands.Add(Command(PgBatchCompletion.LockIfLast, ("batchIds", (object)batchIds)));
            batch.BatchCommands.Add(Command(PgBatchCompletion.Complete, ("batchIds", batchIds), ("channel", db.Channel), ("payload", db.Origin + " " + PgNotifications.Changed)));
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
                    await reader.NextResultAsync(ct).ConfigureAwait(false); // the batches locked as maybe finished
                    await reader.NextResultAsync(ct).ConfigureAwait(false); // the completion's notification
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
