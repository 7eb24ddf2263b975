namespace Tem.Storage;

/// <summary>One (type, status) group of a batch's tasks as an activity read returns it; every store builds the same result from these.</summary>
internal readonly record struct ActivityRow(string Type, TemTaskStatus Status, long Count, long Ended, long BusyMs)
{
    /// <summary>The per-type activity over <paramref name="window"/>, types in ordinal order.</summary>
    public static IReadOnlyList<TaskTypeActivity> Build(IEnumerable<ActivityRow> rows, TimeSpan window) => rows
        .GroupBy(r => r.Type, StringComparer.Ordinal)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g =>
        {
            long Count(TemTaskStatus status) => g.Where(r => r.Status == status).Sum(r => r.Count);
            return new TaskTypeActivity(
                window,
                g.Key,
                new BatchStats(Count(TemTaskStatus.Pending), Count(TemTaskStatus.Running), Count(TemTaskStatus.Completed), Count(TemTaskStatus.Failed), Count(TemTaskStatus.Cancelled)),
                g.Sum(r => r.Ended),
                g.Sum(r => r.BusyMs) / window.TotalMilliseconds);
        })
        .ToList();
}
