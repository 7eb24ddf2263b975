namespace Tem.Execution;

/// <summary>
/// The hand-back of a group's waiting calls (issue 22). Two groups on one worker of N slots: the slower group's calls,
/// waiting for permits, would hold most slots, and the faster group's calls would go at the slower one's pace (measured
/// 3.46x of its ideal). So when another group's calls are flowing, a task's first call that would wait longer than
/// <see cref="HandBackAfter"/> throws <see cref="LimitGroupHandBackException"/> before it is sent; the worker returns the
/// task to pending with a not-before of that wait (released: no attempt, no refusal). A group alone never hands back.
/// </summary>
internal sealed partial class LimitGroup
{
    /// <summary>
    /// The longest a task's call waits for this group's permit while holding a worker slot, when another group's calls
    /// are flowing (<see cref="OthersFlowing"/>); a longer wait hands the task back to pending for that long.
    /// </summary>
    internal static readonly TimeSpan HandBackAfter = TimeSpan.FromMilliseconds(500);

    /// <summary>Whether another group of the same limits granted a call lately: its tasks need the worker's slots too.</summary>
    internal Func<LimitGroup, bool>? OthersFlowing { get; init; }

    /// <summary>Whether this group granted a call within the last <paramref name="seconds"/>.</summary>
    internal bool GrantedWithin(double seconds)
    {
        var last = Interlocked.Read(ref _lastGrantTicks);
        return last != long.MinValue && (_time.GetTimestamp() - last) / (double)_time.TimestampFrequency < seconds;
    }

    /// <summary>How long a new call of the running task would wait, when that is to hand it back; null to wait here.</summary>
    private TimeSpan? HandBackWait()
    {
        if (TaskContext.Current.Value is not { CallGranted: false } || OthersFlowing?.Invoke(this) != true)
        {
            return null; // not a task's first call (its earlier calls' work would be redone), or no other group needs the slots
        }

        double wait;
        lock (_lock)
        {
            var requests = _limits[(int)LimitKind.Requests];
            if (!requests.IsKnown || requests.RefillPerSecond <= 0)
            {
                return null;
            }

            // The calls ahead are granted one per refill interval once the bucket is empty; a pause comes first.
            wait = Math.Max(0, _pausedUntil - Now()) + (Volatile.Read(ref _waiting) / requests.RefillPerSecond);
        }

        return wait > HandBackAfter.TotalSeconds ? TimeSpan.FromSeconds(wait) : null;
    }
}
