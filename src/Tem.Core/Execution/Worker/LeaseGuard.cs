namespace Tem.Execution;

/// <summary>
/// The worker's hold on its leases, judged from its own clock. Every lease it holds was renewed no earlier than the
/// moment the last successful heartbeat was sent (the database stamps the renewal later still), so once no heartbeat
/// has got through for longer than the lease, those leases may have expired and other workers may be running the
/// same tasks. From then on the worker starts nothing new and says so; handlers already running go on, and their
/// outcomes wait in memory to be written when the database answers again (at-least-once: nothing is lost). The first
/// heartbeat that gets through ends the pause. Stores retry an unreachable database inside each call, so this is
/// read without waiting for the call that hangs: the dispatcher asks before each claim, the lease keeper each tick.
/// The same clock judges each claim before its handler starts (<see cref="MayStart"/>): a claim's answer can arrive
/// long after the database made it (a frozen process, a cut link), when its lease has expired and another worker may
/// have run the task; such a claim is released, never run.
/// </summary>
internal sealed class LeaseGuard(WorkerContext context)
{
    private readonly TimeSpan _lease = context.Options.LeaseDuration;
    private readonly long _leaseTicks = (long)(context.Options.LeaseDuration.TotalSeconds * context.Time.TimestampFrequency);
    private long _renewedAt = context.Time.GetTimestamp();
    private long _pauseBeganAt = long.MinValue;
    private int _reported;
    private int _unreachableReported;

    /// <summary>How long the database may stay silent before the log says so, well before a default lease runs out.</summary>
    internal static readonly TimeSpan UnreachableAfter = TimeSpan.FromSeconds(5);

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
        if (wasPaused)
        {
            Volatile.Write(ref _pauseBeganAt, was + _leaseTicks); // claims made before this moment must not start now
        }

        Volatile.Write(ref _renewedAt, sentAt > was ? sentAt : was); // one caller (the lease keeper), one call at a time
        var wasUnreachable = Interlocked.Exchange(ref _unreachableReported, 0) == 1;
        if (Interlocked.Exchange(ref _reported, 0) == 1)
        {
            Log.ClaimsResumed(context.Logger, context.Time.GetElapsedTime(was, sentAt));
            context.Signals.BatchChanged();
        }
        else if (wasUnreachable)
        {
            Log.DatabaseAnswersAgain(context.Logger, context.Time.GetElapsedTime(was, sentAt), context.Store.Description);
        }

        if (wasPaused)
        {
            context.Signals.Work.Set(); // the dispatcher may sleep for a whole poll interval otherwise
        }
    }

    /// <summary>
    /// Says once per outage that the database does not answer, after a few seconds (<see cref="UnreachableAfter"/>;
    /// operators saw only latency before), and that claims stopped, as soon as the silence outlasts the lease.
    /// </summary>
    public void Check()
    {
        var silence = Silence;
        if (silence > UnreachableAfter && silence <= _lease && Interlocked.Exchange(ref _unreachableReported, 1) == 0)
        {
            Log.DatabaseUnreachable(context.Logger, silence, context.Store.Description, _lease);
        }

        if (ClaimsPaused && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            Log.ClaimsPausedForOutage(context.Logger, Silence, _lease, context.Store.Description);
        }
    }

    /// <summary>
    /// Whether the handler of a task may start now, the task having been claimed by a statement sent at
    /// <paramref name="claimSentAt"/> and taken into this run's slots at <paramref name="admittedAt"/> (timestamps of the
    /// worker's clock). The database stamped the claim's lease no earlier than the send, so the lease lasts at least a
    /// lease from then; a heartbeat sent after the admission renewed it from its own send. A start needs a quarter of
    /// the lease (at most a second) still ahead, time for the next heartbeat to get through, and no outage pause on or
    /// begun since the claim was sent (the worker said its leases may have expired).
    /// </summary>
    public bool MayStart(long claimSentAt, long admittedAt)
    {
        if (ClaimsPaused || Volatile.Read(ref _pauseBeganAt) > claimSentAt)
        {
            return false;
        }

        var renewed = Volatile.Read(ref _renewedAt);
        var heldFrom = renewed >= admittedAt && renewed > claimSentAt ? renewed : claimSentAt;
        var margin = _lease / 4 < TimeSpan.FromSeconds(1) ? _lease / 4 : TimeSpan.FromSeconds(1);
        return context.Time.GetElapsedTime(heldFrom) < _lease - margin;
    }

    /// <summary>How long ago <paramref name="timestamp"/> (the worker's clock) was: a claim's age, for the log.</summary>
    public TimeSpan Since(long timestamp) => context.Time.GetElapsedTime(timestamp);
}
