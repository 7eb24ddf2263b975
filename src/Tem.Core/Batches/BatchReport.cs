namespace Tem;

/// <summary>What a person wants to know about a batch's run: counts, speed, attempts and the errors that matter.</summary>
public sealed record BatchReport
{
    /// <summary>The batch.</summary>
    public required Batch Batch { get; init; }

    /// <summary>Tasks per status.</summary>
    public required BatchStats Stats { get; init; }

    /// <summary>When its first task was claimed, if any was.</summary>
    public DateTimeOffset? FirstClaimedAt { get; init; }

    /// <summary>When its last task ended, if any did.</summary>
    public DateTimeOffset? LastCompletedAt { get; init; }

    /// <summary>Completed tasks per second between the first claim and the last end; null before any ended.</summary>
    public double? Throughput { get; init; }

    /// <summary>Median duration of the last attempt of completed tasks.</summary>
    public TimeSpan? DurationP50 { get; init; }

    /// <summary>95th percentile of that duration.</summary>
    public TimeSpan? DurationP95 { get; init; }

    /// <summary>Longest such duration.</summary>
    public TimeSpan? DurationMax { get; init; }

    /// <summary>How many ended tasks (completed or failed) took each number of attempts.</summary>
    public required IReadOnlyList<AttemptCount> Attempts { get; init; }

    /// <summary>Runs lost with their worker (a crash, a kill, a lease that expired while it was cut off) and taken over by another: each ran again.</summary>
    public long LostAttempts { get; init; }

    /// <summary>The most common last errors of failed or retrying tasks, most frequent first.</summary>
    public required IReadOnlyList<ErrorCount> TopErrors { get; init; }

    /// <summary>The batch's interruptions, oldest first.</summary>
    public required IReadOnlyList<BatchInterruption> Interruptions { get; init; }
}

/// <summary>How many ended tasks took <paramref name="Attempts"/> attempts.</summary>
public readonly record struct AttemptCount(int Attempts, long Tasks);

/// <summary>How many tasks carry the error text <paramref name="Error"/>.</summary>
public readonly record struct ErrorCount(string Error, long Tasks);
