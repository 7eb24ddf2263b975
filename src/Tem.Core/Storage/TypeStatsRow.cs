namespace Tem.Storage;

/// <summary>One (type, status) group of a batch's tasks with their refusals, as a per-type stats read returns it; every store builds the same result.</summary>
internal readonly record struct TypeStatsRow(string Type, TemTaskStatus Status, long Count, long Deferrals)
{
    /// <summary>Per-type counts and refusals, types in ordinal order.</summary>
    public static List<TaskTypeStats> Build(IEnumerable<TypeStatsRow> rows) => [.. rows
        .GroupBy(r => r.Type, StringComparer.Ordinal)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g =>
        {
            long Count(TemTaskStatus status) => g.Where(r => r.Status == status).Sum(r => r.Count);
            return new TaskTypeStats(g.Key,
                new BatchStats(Count(TemTaskStatus.Pending), Count(TemTaskStatus.Running), Count(TemTaskStatus.Completed), Count(TemTaskStatus.Failed), Count(TemTaskStatus.Cancelled)),
                g.Sum(r => r.Deferrals));
        })];
}
