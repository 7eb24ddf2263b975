using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Turns claimed tasks into running handlers, for both places that claim: the <see cref="Dispatcher"/> (free slots)
/// and the <see cref="OutcomeWriter"/> (the slots its group is about to free, claimed in the group's transaction).
/// Each claimed task takes a slot and one of the rate permits taken before the claim; permits no task used go back.
/// </summary>
internal static class RunStarter
{
    /// <summary>Admits each claimed task and starts its runner on the thread pool; refunds the permits left over.</summary>
    public static void Start(WorkerRun run, IReadOnlyList<ClaimedTask> claimed, List<RateTicket> tickets)
    {
        if (claimed.Count < tickets.Count)
        {
            run.Context.Pacing.Refund(tickets.GetRange(claimed.Count, tickets.Count - claimed.Count));
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            var (task, ticket) = (claimed[i], tickets[i]);
            var active = run.Admit(task);
            _ = Task.Run(() => TaskRunner.RunAsync(run, active, task, ticket));
        }
    }

    /// <summary>What this run claims with: its owner, task types, scope and lease, for <paramref name="limit"/> tasks.</summary>
    public static ClaimRequest Request(WorkerRun run, int limit)
        => new(run.Context.Identity.Owner, run.TaskTypes, run.Scope, limit, run.Context.Options.LeaseDuration);
}
