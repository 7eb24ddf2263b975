using System.Diagnostics;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// The claim loop: for each free slot a rate permit, then one claim for as many tasks as it has permits, then a
/// runner per task. With nothing to claim it sleeps until the next due time it knows of, a wake-up, or the poll
/// interval. The clock is read once per round, so a due time is never dropped between the check and the claim.
/// </summary>
internal static class Dispatcher
{
    public static async Task RunAsync(WorkerRun run, CancellationToken stopping)
    {
        var context = run.Context;
        var tickets = new List<RateTicket>();
        while (!stopping.IsCancellationRequested)
        {
            var wait = context.Options.PollInterval;
            // Due times at or before now are taken here; the claim below reads the store's clock no earlier.
            if (context.Signals.TakeDue(context.Time.GetUtcNow().ToUnixTimeMilliseconds()) is { } untilDue && untilDue < wait)
            {
                wait = untilDue;
            }

            // No claim while the database has been silent past the lease (LeaseGuard); it wakes us when it answers.
            var free = run.Leases.ClaimsPaused ? 0 : context.Pacing.Concurrency - run.InFlight;
            var permitBlocked = false;
            if (free > 0)
            {
                tickets.Clear();
                var granted = context.Pacing.TryAcquire(free, tickets, out var retryIn);
                if (granted == 0)
                {
                    wait = retryIn < wait ? retryIn : wait;
                    permitBlocked = true;
                }
                else
                {
                    var sentAt = context.Time.GetTimestamp(); // the claim's lease is stamped no earlier than this
                    var claimed = await ClaimAsync(run, granted, stopping).ConfigureAwait(false);
                    RunStarter.Start(run, claimed, tickets, sentAt);

                    if (claimed.Count == granted)
                    {
                        continue; // there may be more: look again at once
                    }

                    if (context.SharedLimit?.RetryIn() is { } sharedRetry) // the shared limit held the claim back
                    {
                        wait = sharedRetry < wait ? sharedRetry : wait;
                        permitBlocked = true;
                    }
                }
            }

            context.Signals.Test?.DispatcherIdle.Raise();
            var waitStarted = Stopwatch.GetTimestamp();
            try
            {
                await context.Signals.Work.WaitAsync(wait, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (permitBlocked || free <= 0)
            {
                (permitBlocked ? TemTelemetry.PermitWait : TemTelemetry.SlotWait).Record(Stopwatch.GetElapsedTime(waitStarted).TotalSeconds);
            }
        }
    }

    private static async ValueTask<IReadOnlyList<ClaimedTask>> ClaimAsync(WorkerRun run, int limit, CancellationToken stopping)
    {
        var context = run.Context;
        try
        {
            if (context.SharedLimit is { } shared)
            {
                return await shared.ClaimAsync(run, limit, stopping).ConfigureAwait(false);
            }

            return await context.Store.ClaimAsync(context.Identity.Owner, run.TaskTypes, run.Scope, limit, context.Options.LeaseDuration, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return []; // a store that honours the token (PostgreSQL) gives up the claim at a stop; nothing was committed
        }
        catch (Exception ex)
        {
            Log.ClaimFailed(context.Logger, ex);
            return [];
        }
    }
}
