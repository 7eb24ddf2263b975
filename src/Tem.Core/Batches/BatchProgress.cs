namespace Tem;

/// <summary>One sample of a batch's progress, as <see cref="TemEngine.WatchBatchAsync"/> yields it.</summary>
/// <param name="Stats">Tasks per status now.</param>
/// <param name="Elapsed">Time since watching began.</param>
/// <param name="TasksPerSecond">Tasks ended per second since watching began.</param>
/// <param name="EstimatedRemaining">Time left at that rate; null until the rate is known.</param>
/// <param name="IsFinished">Whether nothing is left to run (the last sample).</param>
public sealed record BatchProgress(BatchStats Stats, TimeSpan Elapsed, double TasksPerSecond, TimeSpan? EstimatedRemaining, bool IsFinished)
{
    /// <summary>Ended tasks (completed, failed or cancelled).</summary>
    public long Done => Stats.Completed + Stats.Failed + Stats.Cancelled;
}
