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
/// The batch decisions every store applies the same way, inside its own transaction: whether the counters trip the
/// batch's interruption criteria. Pure apart from the counts they ask for (asynchronously, so a store counts once);
/// the rules in Storage/Rules run the statements around them.
/// </summary>
internal static class BatchRules
{
    /// <summary>
    /// Judges the counters against the batch's criteria at <paramref name="nowMs"/> (the store's clock).
    /// <paramref name="countTasks"/> tells how many tasks the batch holds, counting at most the number given; it is
    /// asked only while fewer tasks have ended than the error rate's minimum sample.
    /// </summary>
    public static async ValueTask<(BatchVerdict Verdict, (InterruptionKind Kind, string Reason)? Reason)> JudgeAsync(
        BatchCounters counters, long nowMs, Func<int, ValueTask<long>> countTasks)
    {
        if (counters.CriteriaJson is null)
        {
            return (BatchVerdict.CompleteIfDone, null);
        }

        var criteria = InterruptionCriteria.FromJson(counters.CriteriaJson);
        long? batchTasks = criteria.MaxErrorRate is not null && counters.Completed + counters.Failed < criteria.MinTasksForErrorRate
            ? await countTasks(criteria.MinTasksForErrorRate).ConfigureAwait(false)
            : null;
        var runtime = TimeSpan.FromMilliseconds(nowMs - (counters.StartedAtMs ?? nowMs));
        var reason = criteria.Check(counters.Completed, counters.Failed, counters.ConsecutiveFailures, runtime, batchTasks);
        return reason is null ? (BatchVerdict.CompleteIfDone, null) : (BatchVerdict.Interrupt, reason);
    }

    /// <summary>
    /// Whether the batch's refusals trip its provider-trouble criteria. <paramref name="countRefusals"/> counts the batch's
    /// refusals of one kind ('deferred' for rate limits, 'overloaded') within a window; it is asked only when a criterion is set.
    /// </summary>
    public static async ValueTask<(InterruptionKind Kind, string Reason)?> ProviderTroubleAsync(string? criteriaJson, Func<string, TimeSpan, ValueTask<long>> countRefusals)
    {
        if (criteriaJson is null)
        {
            return null;
        }

        var criteria = InterruptionCriteria.FromJson(criteriaJson);
        if (criteria.MaxRateLimitHits is null && criteria.MaxOverloadErrors is null)
        {
            return null;
        }

        var window = criteria.ProviderTroubleWindow;
        return criteria.CheckProviderTrouble(
            criteria.MaxRateLimitHits is null ? 0 : await countRefusals(Storage.AttemptNames.Deferred, window).ConfigureAwait(false),
            criteria.MaxOverloadErrors is null ? 0 : await countRefusals(Storage.AttemptNames.Overloaded, window).ConfigureAwait(false));
    }

    /// <summary>Whether a batch whose runtime criterion is all that might trip has run too long; the reason, or null.</summary>
    public static (InterruptionKind Kind, string Reason)? OverdueReason(string criteriaJson, long startedAtMs, long nowMs)
        => InterruptionCriteria.FromJson(criteriaJson).Check(0, 0, 0, TimeSpan.FromMilliseconds(nowMs - startedAtMs));
}
