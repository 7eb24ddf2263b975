namespace Tem.Execution;

/// <summary>
/// The run's upkeep, on a timer: the worker's heartbeat with the leases of exactly the runs in flight (never every
/// running row of this owner: a run whose outcome was lost must expire), recovery of runs whose lease expired
/// anywhere, and the runtime criterion of active batches. The upkeep calls run beside the timer, not in it: a store
/// retries an unreachable database inside a call, and while one hangs the timer still asks <see cref="LeaseGuard"/>
/// whether the silence has outlasted the lease.
/// </summary>
internal static class LeaseKeeper
{
    public static async Task RunAsync(WorkerRun run, CancellationToken stopping)
    {
        var context = run.Context;
        var lease = context.Options.LeaseDuration;
        // A third of the lease leaves two renewals' slack; at most a second, so MaxRuntime trips close to its limit.
        var tick = lease / 3 < TimeSpan.FromSeconds(1) ? lease / 3 : TimeSpan.FromSeconds(1);
        Task<bool> upkeep = Task.FromResult(true);
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

            run.Leases.Check();
            if (!upkeep.IsCompleted)
            {
                continue; // the last round still waits on the store
            }

            if (!await upkeep.ConfigureAwait(false))
            {
                break;
            }

            upkeep = UpkeepAsync(run, stopping);
        }

        await upkeep.ConfigureAwait(false);
    }

    /// <summary>One round of upkeep; false when the database is gone for good and the upkeep ends.</summary>
    private static async Task<bool> UpkeepAsync(WorkerRun run, CancellationToken stopping)
    {
        var context = run.Context;
        try
        {
            await context.Store.VerifyAsync(stopping).ConfigureAwait(false);
        }
        catch (TemDatabaseException ex)
        {
            Log.DatabaseLost(context.Logger, ex);
            context.Signals.Fail(ex);
            run.StopClaiming();
            return false;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            var sentAt = context.Time.GetTimestamp();
            await context.Store.HeartbeatAsync(run.Identity, [.. run.ActiveIds], context.Options.LeaseDuration, stopping).ConfigureAwait(false);
            run.Leases.Renewed(sentAt);
            // Recovery runs while the heartbeat just written holds this worker's own leases: one that waited out an
            // outage inside the store would otherwise take the runs whose outcomes wait in memory. (At least half a
            // lease: a heartbeat that was merely slow renewed the leases when it ran, not when it was sent.)
            var lease = context.Options.LeaseDuration;
            var held = lease - context.Time.GetElapsedTime(sentAt);
            using var whileHeld = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            whileHeld.CancelAfter(held > lease / 2 ? held : lease / 2);
            int recovered;
            try
            {
                recovered = await context.Store.RecoverExpiredLeasesAsync(context.Options.LostRunDelay, whileHeld.Token).ConfigureAwait(false);
                await context.Store.InterruptOverdueBatchesAsync(whileHeld.Token).ConfigureAwait(false);
            }
            catch (Exception) when (whileHeld.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                return true; // the database went silent again; the next round renews first
            }

            // The store signalled what they changed (work due, batches changed) from the rules' change sets.
            if (recovered > 0)
            {
                Log.LeasesRecovered(context.Logger, recovered);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false; // a store that honours the token (PostgreSQL) ends the upkeep mid-statement at a stop
        }
        catch (Exception ex)
        {
            Log.LeaseUpkeepFailed(context.Logger, ex);
        }

        return true;
    }
}
