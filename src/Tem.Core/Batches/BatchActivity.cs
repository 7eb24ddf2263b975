namespace Tem;

/// <summary>One task type's share of a batch, for a live view (<see cref="BatchActivityReads.GetActivityAsync"/>).</summary>
/// <param name="Window">The window the figures cover: the one asked for, or less when the batch started within it.</param>
/// <param name="Type">The task type.</param>
/// <param name="Stats">How many of its tasks are in each status now.</param>
/// <param name="EndedInWindow">How many of its tasks completed, failed or were cancelled within the window.</param>
/// <param name="AverageRunning">How many of its tasks ran at once on average over the window (busy time / window).</param>
public sealed record TaskTypeActivity(TimeSpan Window, string Type, BatchStats Stats, long EndedInWindow, double AverageRunning)
{
    /// <summary>Tasks ended per second over the window.</summary>
    public double RatePerSecond => Window > TimeSpan.Zero ? EndedInWindow / Window.TotalSeconds : 0;
}

/// <summary>The error a task's attempt ended with.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Type">Its task type.</param>
/// <param name="Status">Failed (no attempts left) or pending (to be retried).</param>
/// <param name="Attempt">The attempt that failed.</param>
/// <param name="Error">The stored error text.</param>
/// <param name="At">When the attempt ended (failed) or started (retried).</param>
public sealed record TaskErrorSighting(long TaskId, string Type, TemTaskStatus Status, int Attempt, string Error, DateTimeOffset At);

/// <summary>A batch's progress over a recent window: per task type, and the errors of recent attempts.</summary>
/// <param name="Types">One entry per task type, in ordinal order.</param>
/// <param name="RecentErrors">Errors of attempts since the time asked for, oldest first.</param>
public sealed record BatchActivity(IReadOnlyList<TaskTypeActivity> Types, IReadOnlyList<TaskErrorSighting> RecentErrors)
{
    /// <summary>The whole batch's counts now.</summary>
    public BatchStats Stats => new(
        Types.Sum(t => t.Stats.Pending), Types.Sum(t => t.Stats.Running), Types.Sum(t => t.Stats.Completed),
        Types.Sum(t => t.Stats.Failed), Types.Sum(t => t.Stats.Cancelled));

    /// <summary>Tasks ended per second over the window (not since the start: a pause or a retry-failed shows at once).</summary>
    public double RatePerSecond => Types.Sum(t => t.RatePerSecond);

    /// <summary>How many tasks ran at once on average over the window.</summary>
    public double AverageRunning => Types.Sum(t => t.AverageRunning);

    /// <summary>Pending and running tasks divided by the rate, or null while nothing ends.</summary>
    public TimeSpan? EstimatedTimeLeft
    {
        get
        {
            var rate = RatePerSecond;
            var left = Stats.Pending + Stats.Running;
            return left == 0 ? TimeSpan.Zero : rate > 0 ? TimeSpan.FromSeconds(left / rate) : null;
        }
    }
}

/// <summary>Reads for live views of a batch (`tem watch`).</summary>
public static class BatchActivityReads
{
    /// <summary>
    /// The batch's counts per task type, with what ended and how many ran at once over the last <paramref name="window"/>,
    /// and the errors of attempts within the last <paramref name="errorWindow"/> (default: <paramref name="window"/>), at most 20.
    /// Times come from the store's clock.
    /// </summary>
    /// <param name="batches">The engine's batch service.</param>
    /// <param name="batchId">The batch.</param>
    /// <param name="window">How far back rates and averages look; 10 s suits a live view.</param>
    /// <param name="errorWindow">How far back to look for errors; a live view asks for a little more than its interval.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The activity; an unknown batch id gives no types.</returns>
    public static async Task<BatchActivity> GetActivityAsync(this BatchService batches, long batchId, TimeSpan window, TimeSpan? errorWindow = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var types = await batches.Store.GetTypeActivityAsync(batchId, window, cancellationToken).ConfigureAwait(false);
        var errors = await batches.Store.GetRecentErrorsAsync(batchId, errorWindow ?? window, 20, cancellationToken).ConfigureAwait(false);
        return new BatchActivity(types, errors);
    }
}
