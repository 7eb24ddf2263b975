using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Turns claimed tasks into running handlers, for both places that claim: the <see cref="Dispatcher"/> (free slots)
/// and the <see cref="OutcomeWriter"/> (the slots its group is about to free, claimed in the group's transaction).
/// Each claimed task takes a slot and one of the rate permits taken before the claim; permits no task used go back.
/// A claim whose answer came too late for its lease (<see cref="LeaseGuard.MayStart"/>) starts nothing: its tasks
/// are released through the outcome writer, as a stop releases them.
/// </summary>
internal static class RunStarter
{
    /// <summary>
    /// Admits each task claimed by the statement sent at <paramref name="claimSentAt"/> (the worker's clock) and starts
    /// its runner on the thread pool, or releases them all if the answer came too late; refunds the permits left over.
    /// </summary>
    public static void Start(WorkerRun run, IReadOnlyList<ClaimedTask> claimed, List<RateTicket> tickets, long claimSentAt)
    {
        if (claimed.Count == 0 || !run.Leases.MayStart(claimSentAt, admittedAt: long.MaxValue)) // no heartbeat has renewed these yet
        {
            run.Context.Pacing.Refund(tickets);
            if (claimed.Count > 0)
            {
                Log.StaleClaimReleased(run.Context.Logger, claimed.Count, run.Leases.Since(claimSentAt), run.Context.Options.LeaseDuration);
                foreach (var task in claimed)
                {
                    run.HandlerEnded(run.Admit(task, claimSentAt), OutcomePolicy.Released(task)); // the slot is freed once the release is written
                }
            }

            return;
        }

        if (claimed.Count < tickets.Count)
        {
            run.Context.Pacing.Refund(tickets.GetRange(claimed.Count, tickets.Count - claimed.Count));
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            var (task, ticket) = (claimed[i], tickets[i]);
            var active = run.Admit(task, claimSentAt);
            _ = Task.Run(() => TaskRunner.RunAsync(run, active, task, ticket));
        }
    }

    /// <summary>What this run claims with: its owner, task types, scope and lease, for <paramref name="limit"/> tasks.</summary>
    public static ClaimRequest Request(WorkerRun run, int limit)
        => new(run.Context.Identity.Owner, run.TaskTypes, run.Scope, limit, run.Context.Options.LeaseDuration);
}
