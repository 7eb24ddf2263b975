namespace Tem.Storage;

/// <summary>
/// Tallies → criteria → completion, written once over <see cref="ITemLedger"/>: after a write ended tasks, each batch's
/// counters grow by its tally, <see cref="BatchRules"/> judges them, and the batch is interrupted or, with nothing left
/// to run, completed; refusals are judged against the provider-trouble criteria. The outcome writes that call these
/// stay fused per dialect (SQLite's outcome group + refill claim, PostgreSQL's <c>PgCompletedGroup</c>), as does the
/// tally's own statement (<see cref="ITemLedger.BatchAddTallyAsync"/>; on PostgreSQL only batches with criteria keep counters).
/// </summary>
internal static class OutcomeTallyRules
{
    /// <summary>Adds each batch's tally (in id order: concurrent writers lock batch rows in one order), then interrupts or completes it.</summary>
    public static async ValueTask ApplyAsync(ITemLedger ledger, Dictionary<long, BatchTally> tallies, CancellationToken ct)
    {
        if (tallies.Count == 0)
        {
            return;
        }

        foreach (var (batchId, tally) in tallies.OrderBy(t => t.Key))
        {
            if (await ledger.BatchAddTallyAsync(batchId, tally, ct).ConfigureAwait(false) is not { } row)
            {
                // Not active (nothing happens), or (PostgreSQL) a batch without criteria, which keeps no counters so that
                // its writers share no row (issue 26): only the completion rule applies.
                await BatchLifecycleRules.CompleteIfDoneAsync(ledger, batchId, ct).ConfigureAwait(false);
                continue;
            }

            var (verdict, reason) = await BatchRules.JudgeAsync(row.Counters, row.NowMs, limit => ledger.TaskCountUpToAsync(batchId, limit, ct)).ConfigureAwait(false);
            if (verdict == BatchVerdict.Interrupt && await BatchLifecycleRules.InterruptAsync(ledger, batchId, reason!.Value.Kind, reason.Value.Reason, ct).ConfigureAwait(false))
            {
                continue;
            }

            await BatchLifecycleRules.CompleteIfDoneAsync(ledger, batchId, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Interrupts each active batch whose refusals in this write trip its provider-trouble criteria.</summary>
    public static async ValueTask JudgeRefusalsAsync(ITemLedger ledger, IEnumerable<long> batchIds, CancellationToken ct)
    {
        foreach (var batchId in batchIds.Order())
        {
            var criteria = await ledger.BatchGetCriteriaIfActiveAsync(batchId, ct).ConfigureAwait(false);
            if (await BatchRules.ProviderTroubleAsync(criteria, (outcome, window) => ledger.TaskAttemptCountRecentAsync(batchId, outcome, window, ct)).ConfigureAwait(false) is { } trip)
            {
                await BatchLifecycleRules.InterruptAsync(ledger, batchId, trip.Kind, trip.Reason, ct).ConfigureAwait(false);
            }
        }
    }
}
