namespace Tem.ProviderSimulator.Batches;

/// <summary>
/// A provider batch's life as a function of time: nothing runs in the background, every read computes the phase and
/// how many lines are done from the clock, so a status is exact however late a client polls. Lines finish at a
/// steady rate from <see cref="StartsAt"/>; whichever comes first of "all done", the deadline and a cancel ends it.
/// </summary>
internal sealed class BatchTimeline(DateTimeOffset createdAt, TimeSpan validating, int total, BatchSimulatorOptions options)
{
    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset StartsAt { get; } = createdAt + validating;

    public DateTimeOffset ExpiresAt { get; } = createdAt + options.ExpiresAfter;

    /// <summary>When a cancel was asked for, if it was.</summary>
    public DateTimeOffset? CancelAskedAt { get; private set; }

    /// <summary>Set when validation refused the input: the batch fails as validation ends.</summary>
    public bool FailsValidation { get; init; }

    private DateTimeOffset AllDoneAt => StartsAt + TimeSpan.FromSeconds(total / options.LinesPerSecond);

    /// <summary>Lines finished by <paramref name="at"/> had nothing stopped them.</summary>
    private int DoneBy(DateTimeOffset at) => at <= StartsAt
        ? 0
        : (int)Math.Min(total, Math.Floor((at - StartsAt).TotalSeconds * options.LinesPerSecond));

    /// <summary>Asks for a cancel now; false when the batch is past the point where a cancel changes anything.</summary>
    public bool TryCancel(DateTimeOffset now)
    {
        var phase = PhaseAt(now, out _, out _);
        if (phase is not (BatchPhase.Validating or BatchPhase.InProgress))
        {
            return phase is BatchPhase.Cancelling;
        }

        CancelAskedAt = now;
        return true;
    }

    /// <summary>The phase at <paramref name="now"/>, the lines done (in processing order) and when the phase began.</summary>
    public BatchPhase PhaseAt(DateTimeOffset now, out int done, out DateTimeOffset since)
    {
        if (FailsValidation)
        {
            done = 0;
            since = StartsAt;
            return now < StartsAt ? Since(BatchPhase.Validating, CreatedAt, out since) : BatchPhase.FailedValidation;
        }

        var naturalEnd = AllDoneAt <= ExpiresAt ? AllDoneAt : ExpiresAt;
        if (CancelAskedAt is { } cancel && cancel < naturalEnd)
        {
            done = DoneBy(cancel);
            var ended = cancel + options.CancellingFor;
            return now < ended ? Since(BatchPhase.Cancelling, cancel, out since) : Since(BatchPhase.Cancelled, ended, out since);
        }

        if (now < StartsAt)
        {
            done = 0;
            return Since(BatchPhase.Validating, CreatedAt, out since);
        }

        if (now < naturalEnd)
        {
            done = DoneBy(now);
            return Since(BatchPhase.InProgress, StartsAt, out since);
        }

        if (AllDoneAt > ExpiresAt)
        {
            done = DoneBy(ExpiresAt);
            return Since(BatchPhase.Expired, ExpiresAt, out since);
        }

        done = total;
        var completed = AllDoneAt + options.FinalizingFor;
        return now < completed ? Since(BatchPhase.Finalizing, AllDoneAt, out since) : Since(BatchPhase.Completed, completed, out since);
    }

    private static BatchPhase Since(BatchPhase phase, DateTimeOffset at, out DateTimeOffset since)
    {
        since = at;
        return phase;
    }
}
