namespace Tem.Storage;

/// <summary>A call about to leave: its model and worst case, the prompt estimate and the most it may generate.</summary>
internal readonly record struct SpendAsk(string Model, long InputTokens, long OutputTokens)
{
    public long Tokens => InputTokens + OutputTokens;
}

/// <summary>What a reservation came to: held (with its id and amounts), not needed (no bound set), wait for calls in flight, or refused for good with a message.</summary>
internal readonly record struct SpendGrant(SpendGrantKind Kind, long ReservationId = 0, long Tokens = 0, long CostNanos = 0, string? Refusal = null)
{
    public static SpendGrant Unbounded => new(SpendGrantKind.Unbounded);

    public static SpendGrant Wait => new(SpendGrantKind.Wait);
}

internal enum SpendGrantKind
{
    Unbounded,
    Held,
    Wait,
    Refused,
}
