using Tem.Storage;

namespace Tem.Execution;

/// <summary>One call's hold on its batch's budget (or, without a budget, just its usage to store), settled once.</summary>
internal sealed class SpendHold(SpendMeter meter, TaskSpend task, SpendAsk ask, LimitGroupKey group, long? reservationId)
{
    private int _settled;

    /// <summary>The call completed: settle to the usage it reported (null parts: the worst case reserved stands).</summary>
    public void Complete(long? inputTokens, long? outputTokens, long? cachedInputTokens)
    {
        var estimated = inputTokens is null && outputTokens is null;
        var usage = new TokenUsage(inputTokens ?? ask.InputTokens, cachedInputTokens ?? 0, outputTokens ?? ask.OutputTokens);
        Settle(usage, estimated);
    }

    /// <summary>The provider refused the call: nothing was spent.</summary>
    public void Refused() => Settle(null, estimated: false);

    /// <summary>Ended without a report (an error, a cancellation): the request may have been billed, so its worst case is charged.</summary>
    public void Abandoned() => Settle(new TokenUsage(ask.InputTokens, 0, ask.OutputTokens), estimated: true);

    private void Settle(TokenUsage? usage, bool estimated)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            task.Track(meter.SettleAsync(task, reservationId, ask, group, usage, estimated));
        }
    }
}
