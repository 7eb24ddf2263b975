namespace Tem.Storage;

/// <summary>
/// Ends runs whose process stopped without reporting (crashed, killed, frozen past its lease), written once over
/// <see cref="ITemLedger"/>. The run used its attempt: the task goes back to pending, or, if that was its last attempt,
/// fails. Without that bound a task that crashes its process on every run would be claimed again forever, each time
/// perhaps a paid call. A returned task waits the lost-run delay × 2^(attempts used − 1) first: the lowest ids would
/// otherwise be first in line after every restart, and a crash loop would charge the same innocent tasks again and again.
/// </summary>
internal static class LostRunRules
{
    /// <summary>Heartbeats this long past their expiry are deleted with the recovery.</summary>
    private static readonly TimeSpan DeadWorkerKept = TimeSpan.FromHours(1);

    /// <summary>Running tasks whose lease expired → pending after <paramref name="lostRunDelay"/>, or failed on their last attempt. Returns how many.</summary>
    public static async ValueTask<int> RecoverExpiredAsync(ITemLedger ledger, TimeSpan lostRunDelay, CancellationToken ct)
    {
        await ledger.WorkerDeleteExpiredAsync(DeadWorkerKept, ct).ConfigureAwait(false);
        return await ReturnAsync(ledger, LostRuns.Expired, lostRunDelay, ct).ConfigureAwait(false);
    }

    /// <summary>Ends <paramref name="runs"/>; returns how many.</summary>
    public static async ValueTask<int> ReturnAsync(ITemLedger ledger, LostRuns runs, TimeSpan lostRunDelay, CancellationToken ct)
    {
        await ledger.TaskAttemptInsertLostManyAsync(runs, ct).ConfigureAwait(false);
        await ledger.SpendReservationDeleteLostManyAsync(runs, ct).ConfigureAwait(false);
        var rows = await ledger.TaskReleaseLostManyAsync(runs, lostRunDelay, ct).ConfigureAwait(false);
        var ended = new Dictionary<long, BatchTally>();
        foreach (var (batchId, failed) in rows)
        {
            if (failed)
            {
                BatchTally.Add(ended, batchId, success: false);
            }
        }

        // Failures count towards the batch's interruption criteria, and the last of them may complete the batch.
        await OutcomeTallyRules.ApplyAsync(ledger, ended, ct).ConfigureAwait(false);
        if (rows.Count > ended.Values.Sum(t => t.Failed))
        {
            ledger.Changes.WorkAvailable(lostRunDelay);
        }

        if (rows.Count > 0)
        {
            ledger.Changes.Changed();
        }

        return rows.Count;
    }
}
