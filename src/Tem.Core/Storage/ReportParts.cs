namespace Tem.Storage;

/// <summary>
/// What a store reads for a <see cref="BatchReport"/> (first claim and last end in Unix milliseconds, the sorted
/// durations of completed tasks in milliseconds, attempts, errors, interruptions, lost runs); <see cref="Build"/> derives the
/// percentiles and throughput the same way for every store.
/// </summary>
internal readonly record struct ReportParts(Batch Batch, BatchStats Stats, long? FirstClaimedMs, long? LastCompletedMs, List<long> SortedDurationsMs,
    IReadOnlyList<AttemptCount> Attempts, IReadOnlyList<ErrorCount> TopErrors, IReadOnlyList<BatchInterruption> Interruptions, long LostAttempts)
{
    public BatchReport Build()
    {
        var durations = SortedDurationsMs;
        TimeSpan? Percentile(double p) => durations.Count == 0 ? null
            : TimeSpan.FromMilliseconds(durations[Math.Clamp((int)Math.Ceiling(p * durations.Count) - 1, 0, durations.Count - 1)]);
        var span = LastCompletedMs - FirstClaimedMs;
        return new BatchReport
        {
            Batch = Batch,
            Stats = Stats,
            FirstClaimedAt = FirstClaimedMs is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
            LastCompletedAt = LastCompletedMs is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
            Throughput = span is > 0 ? Stats.Completed * 1000.0 / span.Value : null,
            DurationP50 = Percentile(0.50),
            DurationP95 = Percentile(0.95),
            DurationMax = Percentile(1.0),
            Attempts = Attempts,
            LostAttempts = LostAttempts,
            TopErrors = TopErrors,
            Interruptions = Interruptions,
        };
    }
}
