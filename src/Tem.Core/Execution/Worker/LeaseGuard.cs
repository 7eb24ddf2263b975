namespace Tem.Execution;

/// <summary>
/// The worker's hold on its leases, judged from its own clock. Every lease it holds was renewed no earlier than the
/// moment the last successful heartbeat was sent (the database stamps the renewal later still), so once no heartbeat
/// has got through for longer than the lease, those leases may have expired and other workers may be running the
/// same tasks. From then on the worker starts nothing new and says so; handlers already running go on, and their
/// outcomes wait in memory to be written when the database answers again (at-least-once: nothing is lost). The first
/// heartbeat that gets through ends the pause. Stores retry an unreachable database inside each call, so this is
/// read without waiting for the call that hangs: the dispatcher asks before each claim, the lease keeper each tick.
/// </summary>
internal sealed class LeaseGuard(WorkerContext context)
{
    private readonly TimeSpan _lease = context.Options.LeaseDuration;
    private long _renewedAt = context.Time.GetTimestamp();
    private int _reported;

    /// <summary>True while no heartbeat has got through for longer than the lease: claim nothing.</summary>
    public bool ClaimsPaused => Silence > _lease;

    /// <summary>How long since the last heartbeat that got through was sent.</summary>
    public TimeSpan Silence => context.Time.GetElapsedTime(Volatile.Read(ref _renewedAt));

    /// <summary>
    /// A heartbeat sent at <paramref name="sentAt"/> (a timestamp of the worker's clock) was written. Ends a pause,
    /// says so and wakes the dispatcher.
    /// </summary>
    public void Renewed(long sentAt)
    {
        var was = Volatile.Read(ref _renewedAt);
        var wasPaused = ClaimsPaused;
        Volatile.Write(ref _renewedAt, sentAt > was ? sentAt : was); // one caller (the lease keeper), one call at a time
        if (Interlocked.Exchange(ref _reported, 0) == 1)
        {
            Log.ClaimsResumed(context.Logger, context.Time.GetElapsedTime(was, sentAt));
            context.Signals.BatchChanged();
        }

        if (wasPaused)
        {
            context.Signals.Work.Set(); // the dispatcher may sleep for a whole poll interval otherwise
        }
    }

    /// <summary>Says once per outage that claims stopped, as soon as the silence outlasts the lease.</summary>
    public void Check()
    {
        if (ClaimsPaused && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            Log.ClaimsPausedForOutage(context.Logger, Silence, _lease, context.Store.Description);
        }
    }
}
