namespace Tem;

/// <summary>A batch's interruption counters after a write: outcomes since it last started, and when that was.</summary>
internal readonly record struct BatchCounters(string? CriteriaJson, long Completed, long Failed, long ConsecutiveFailures, long? StartedAtMs);

/// <summary>What a store must do to a batch after its counters changed.</summary>
internal enum BatchVerdict
{
    /// <summary>Nothing beyond completing it if nothing is left to run.</summary>
    CompleteIfDone,

    /// <summary>Interrupt it with the reason given.</summary>
    Interrupt,
}

/// <summary>
/// The batch rules every store applies the same way, inside its own transaction: how a group's outcomes change the
/// counters, and whether the counters trip the batch's interruption criteria. Stores run the statements; the
/// decisions are made here, once.
/// </summary>
internal static class BatchRules
{
    /// <summary>Judges the counters against the batch's criteria at <paramref name="nowMs"/> (the store's clock).</summary>
    public static (BatchVerdict Verdict, string? Reason) Judge(BatchCounters counters, long nowMs)
    {
        if (counters.CriteriaJson is null)
        {
            return (BatchVerdict.CompleteIfDone, null);
        }

        var runtime = TimeSpan.FromMilliseconds(nowMs - (counters.StartedAtMs ?? nowMs));
        var reason = InterruptionCriteria.FromJson(counters.CriteriaJson).Check(counters.Completed, counters.Failed, counters.ConsecutiveFailures, runtime);
        return reason is null ? (BatchVerdict.CompleteIfDone, null) : (BatchVerdict.Interrupt, reason);
    }

    /// <summary>Whether a batch whose runtime criterion is all that might trip has run too long; the reason, or null.</summary>
    public static string? OverdueReason(string criteriaJson, long startedAtMs, long nowMs)
        => InterruptionCriteria.FromJson(criteriaJson).Check(0, 0, 0, TimeSpan.FromMilliseconds(nowMs - startedAtMs));
}
