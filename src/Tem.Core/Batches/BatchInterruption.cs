namespace Tem;

/// <summary>A record of one interruption of a batch: why, when, and the stats at that moment.</summary>
public sealed record BatchInterruption(string Reason, DateTimeOffset At, BatchStats Stats);
