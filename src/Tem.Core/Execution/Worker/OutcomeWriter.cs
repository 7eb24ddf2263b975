using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Writes outcomes in grouped transactions, one writer per run. A group that cannot be written (the file locked past
/// BusyTimeout, a full disk) is kept and retried with backoff until it is: its slots stay taken meanwhile, so memory
/// stays bounded by Concurrency and the dispatcher claims nothing new. Only a stop that has waited long enough gives up.
/// </summary>
internal static class OutcomeWriter
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(WorkerRun run)
    {
        var reader = run.Outcomes.Reader;
        var group = new List<TaskOutcome>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await GatherAsync(run, reader, group).ConfigureAwait(false);
            var written = !run.Abandoned && await WriteAsync(run, group).ConfigureAwait(false);
            foreach (var outcome in group)
            {
                if (written && (outcome.Kind is OutcomeKind.Retry or OutcomeKind.Deferred || (outcome.Kind is OutcomeKind.Released && outcome.Delay > TimeSpan.Zero)))
                {
                    run.Context.Signals.WorkAvailable(outcome.Delay);
                }

                run.FreeSlot(outcome.TaskId, outcome.Version);
            }

            if (written)
            {
                run.Context.Signals.BatchChanged(); // after the slots are free: a waiter skips the database while this worker holds runs of its batch
            }

            group.Clear();
        }
    }

    /// <summary>
    /// Takes whatever arrived while the previous group committed. While handlers already queued on the thread pool may
    /// end within microseconds, yields to them first: each group is a transaction, and a group of a few outcomes pays
    /// its fixed cost for little.
    /// </summary>
    private static async ValueTask GatherAsync(WorkerRun run, System.Threading.Channels.ChannelReader<TaskOutcome> reader, List<TaskOutcome> group)
    {
        var yields = 0;
        while (true)
        {
            var before = group.Count;
            while (group.Count < 2048 && reader.TryRead(out var outcome))
            {
                group.Add(outcome);
            }

            if (yields >= 4 || group.Count == before && yields > 0 || group.Count >= run.Context.Pacing.Concurrency / 4 || run.InFlight <= group.Count || run.Abandoned)
            {
                return;
            }

            yields++;
            await Task.Yield();
        }
    }

    /// <summary>Writes the group, retrying with backoff until it is written; false only when the run gave up or was abandoned.</summary>
    private static async ValueTask<bool> WriteAsync(WorkerRun run, List<TaskOutcome> group)
    {
        var context = run.Context;
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The first try also claims for the slots the group frees; a retry after a failure only writes.
                var rejected = attempt == 1
                    ? await WriteAndRefillAsync(run, group).ConfigureAwait(false)
                    : await context.Store.ApplyOutcomesAsync(group, CancellationToken.None).ConfigureAwait(false);
                foreach (var outcome in rejected)
                {
                    Log.OutcomeRejected(context.Logger, outcome.TaskId, outcome.Kind.ToString(), outcome.Version);
                }

                if (attempt > 1)
                {
                    Log.OutcomesWrittenAfterRetry(context.Logger, group.Count, attempt);
                }

                return true;
            }
            catch (Exception ex)
            {
                if (run.Abandoned || run.GiveUpWrites.IsCancellationRequested)
                {
                    Log.OutcomeWriteAbandoned(context.Logger, group.Count, ex);
                    return false;
                }

                // Every failure at first, then one in ten: a long outage must not flood the log.
                if (attempt <= 3 || attempt % 10 == 0)
                {
                    Log.OutcomeWriteFailed(context.Logger, group.Count, attempt, delay, ex);
                }
            }

            try
            {
                await Task.Delay(delay, context.Time, run.GiveUpWrites).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The stop's patience ran out: one last try on the next loop, then give up.
            }

            delay = delay * 2 < LongestRetry ? delay * 2 : LongestRetry;
        }
    }

    /// <summary>
    /// Writes the group and, in the same transaction, claims a task for each slot it frees (as far as concurrency and
    /// rate permits allow), then starts those tasks before the slots are freed. The next task of a busy slot thus
    /// costs no transaction of its own and no trip through the dispatcher.
    /// </summary>
    private static async ValueTask<IReadOnlyList<TaskOutcome>> WriteAndRefillAsync(WorkerRun run, List<TaskOutcome> group)
    {
        var context = run.Context;
        var tickets = new List<RateTicket>();
        var refilling = run.TryBeginRefill();
        try
        {
            var limit = 0;
            // The group's runs still hold their slots, so InFlight counts them; a lowered concurrency refills fewer.
            var wanted = refilling ? Math.Min(group.Count, context.Pacing.Concurrency - run.InFlight + group.Count) : 0;
            if (wanted > 0)
            {
                limit = context.Pacing.TryAcquire(wanted, tickets, out _);
            }

            var sentAt = context.Time.GetTimestamp(); // the refill's lease is stamped no earlier than this
            var (rejected, claimed) = await context.Store.ApplyOutcomesAndClaimAsync(group, RunStarter.Request(run, limit), CancellationToken.None).ConfigureAwait(false);
            RunStarter.Start(run, claimed, tickets, sentAt);
            tickets.Clear();
            return rejected;
        }
        finally
        {
            if (tickets.Count > 0)
            {
                context.Pacing.Refund(tickets); // the write failed: nothing was claimed
            }

            if (refilling)
            {
                run.EndRefill();
            }
        }
    }
}
