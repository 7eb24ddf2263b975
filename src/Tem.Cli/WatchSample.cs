using System.Globalization;

namespace Tem.Cli;

/// <summary>
/// One reading of a watched batch: its row, its activity over the rate window, the errors new since the last reading,
/// the provider refusals its tasks met (by type), and the shared limit groups the database holds.
/// </summary>
internal sealed record WatchSample(Batch Batch, BatchActivity Activity, IReadOnlyList<TaskErrorSighting> NewErrors, DateTimeOffset At)
{
    /// <summary>Provider refusals (429s and the like, which use no attempt) per task type, summed over its tasks.</summary>
    public IReadOnlyDictionary<string, long> RefusalsByType { get; init; } = new Dictionary<string, long>();

    /// <summary>The limits shared under a name by every process on the database (RateLimitOptions.SharedName).</summary>
    public IReadOnlyList<SharedLimitState> Limits { get; init; } = [];

    public long Refusals => RefusalsByType.Values.Sum();

    public long RefusalsOf(string type) => RefusalsByType.GetValueOrDefault(type);

    /// <summary>
    /// A shared limit group as the store holds it: the starts granted under it in the last minute by every process,
    /// and its pause. The limits themselves live in each process's options, not in the database.
    /// </summary>
    public string Describe(SharedLimitState limit)
    {
        var paused = limit.PausedUntil is { } until && until > At ? "paused " + Durations.Format(until - At) + " more" : "not paused";
        return string.Create(CultureInfo.InvariantCulture, $"limit '{limit.Name}': {limit.StartsLastMinute} starts last minute, {paused}");
    }

    public BatchStats Stats => Activity.Stats;

    public long Done => Stats.Completed + Stats.Failed + Stats.Cancelled;

    /// <summary>The batch's wall time: from creation to completion, or to now while it runs.</summary>
    public TimeSpan Elapsed => (Batch.CompletedAt ?? At) - Batch.CreatedAt;

    /// <summary>Nothing running, and nothing left to run or the batch stopped (interrupted, cancelled).</summary>
    public bool IsFinished => Stats.Running == 0 && (Stats.Pending == 0 || Batch.Status is BatchStatus.Interrupted or BatchStatus.Cancelled);

    public string Eta => Stats.Pending + Stats.Running == 0 ? "done" : Activity.EstimatedTimeLeft is { } left ? Durations.Format(left) : "?";

    public static string Rate(double perSecond) => perSecond.ToString(perSecond >= 10 ? "0" : "0.#", CultureInfo.InvariantCulture) + "/s";

    public static string Running(TaskTypeActivity type) => Running(type.Stats.Running, type.AverageRunning);

    /// <summary>Now and the window's average: a burst of short tasks shows as "0 now" yet a true "avg 12.4".</summary>
    public static string Running(long now, double average) => string.Create(CultureInfo.InvariantCulture, $"{now} (avg {average:0.#})");

    public static string Describe(TaskErrorSighting error)
        => string.Create(CultureInfo.InvariantCulture, $"task {error.TaskId} ({error.Type}) attempt {error.Attempt}{(error.Status == TemTaskStatus.Failed ? ", failed" : ", will retry")}: {error.Error.ReplaceLineEndings(" ")}");
}
