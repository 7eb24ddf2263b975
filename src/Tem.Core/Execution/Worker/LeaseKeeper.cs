namespace Tem.Execution;

/// <summary>
/// The run's upkeep, on a timer: the worker's heartbeat with the leases of exactly the runs in flight (never every
/// running row of this owner: a run whose outcome was lost must expire), recovery of runs whose lease expired
/// anywhere, and the runtime criterion of active batches.
/// </summary>
internal static class LeaseKeeper
{
    public static async Task RunAsync(WorkerRun run, CancellationToken stopping)
    {
        var context = run.Context;
        var lease = context.Options.LeaseDuration;
        // A third of the lease leaves two renewals' slack; at most a second, so MaxRuntime trips close to its limit.
        var tick = lease / 3 < TimeSpan.FromSeconds(1) ? lease / 3 : TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, context.Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (run.Abandoned)
            {
                continue;
            }

            try
            {
                await context.Store.VerifyAsync(stopping).ConfigureAwait(false);
            }
            catch (TemDatabaseException ex)
            {
                Log.DatabaseLost(context.Logger, ex);
                context.Signals.Fail(ex);
                run.StopClaiming();
                break;
            }

            try
            {
                await context.Store.HeartbeatAsync(run.Identity, [.. run.ActiveIds], lease, stopping).ConfigureAwait(false);
                var recovered = await context.Store.RecoverExpiredLeasesAsync(context.Options.LostRunDelay, stopping).ConfigureAwait(false);
                var interrupted = await context.Store.InterruptOverdueBatchesAsync(stopping).ConfigureAwait(false);
                if (recovered > 0)
                {
                    Log.LeasesRecovered(context.Logger, recovered);
                    context.Signals.WorkAvailable(context.Options.LostRunDelay);
                }

                if (recovered > 0 || interrupted > 0)
                {
                    context.Signals.BatchChanged();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break; // a store that honours the token (PostgreSQL) ends the upkeep mid-statement at a stop
            }
            catch (Exception ex)
            {
                Log.LeaseUpkeepFailed(context.Logger, ex);
            }
        }
    }
}
