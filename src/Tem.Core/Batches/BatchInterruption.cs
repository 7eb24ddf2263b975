namespace Tem;

/// <summary>A record of one interruption of a batch: why (as a kind and in words), when, and the stats at that moment.</summary>
/// <param name="Reason">What tripped, in words.</param>
/// <param name="At">When.</param>
/// <param name="Stats">The batch's tasks per status at that moment.</param>
/// <param name="Kind">Which criterion tripped, or <see cref="InterruptionKind.Manual"/>.</param>
public sealed record BatchInterruption(string Reason, DateTimeOffset At, BatchStats Stats, InterruptionKind Kind = InterruptionKind.Other);
