namespace Tem.Execution;

/// <summary>What one call is expected to take from each of a group's limits (one request; its tokens as the adapter estimated them, 0 when unknown).</summary>
internal readonly record struct CallCost(long InputTokens, long OutputTokens)
{
    public long TotalTokens => InputTokens + OutputTokens;
}

/// <summary>How much a group had issued of each limit's kind when a permit was granted, that permit included.</summary>
internal readonly record struct IssueMark(double Requests, double Tokens, double InputTokens, double OutputTokens)
{
    public double this[LimitKind kind] => kind switch
    {
        LimitKind.Requests => Requests,
        LimitKind.Tokens => Tokens,
        LimitKind.InputTokens => InputTokens,
        _ => OutputTokens,
    };
}
