namespace Tem.Dashboard;

/// <summary>The workers panel's rows, the warning on task types no live worker handles, and the store's shared limits, from one sample.</summary>
internal static class WorkersPanel
{
    public static WorkerPanelRow[] Rows(SampleState state) => [.. state.Workers.Select(w => new WorkerPanelRow(
        w.Owner, w.Machine, w.ProcessId, (long)w.HeartbeatAge.TotalMilliseconds, w.StartedAt.ToUnixTimeMilliseconds(), w.InFlight, w.IsLive,
        w.IsLive && w.LooksPaused, [.. w.TaskTypes], w.Scope))];

    /// <summary>
    /// Types with pending tasks in active batches that no live worker serving the batch handles. A worker whose scope
    /// names batches is counted for every batch: its scope is shown in words, not re-evaluated here.
    /// </summary>
    public static UnhandledRow[] Unhandled(SampleState state)
    {
        var handled = new HashSet<string>(state.Workers.Where(w => w.IsLive).SelectMany(w => w.TaskTypes), StringComparer.Ordinal);
        var waiting = new SortedDictionary<string, (long Pending, SortedSet<long> Batches)>(StringComparer.Ordinal);
        foreach (var sample in state.Batches.Where(b => b.Batch.Status == BatchStatus.Active))
        {
            foreach (var type in sample.Types.Where(t => t.Stats.Pending > 0 && !handled.Contains(t.Type)))
            {
                if (!waiting.TryGetValue(type.Type, out var entry))
                {
                    entry = (0, []);
                }

                entry.Batches.Add(sample.Batch.Id);
                waiting[type.Type] = (entry.Pending + type.Stats.Pending, entry.Batches);
            }
        }

        return [.. waiting.Select(w => new UnhandledRow(w.Key, w.Value.Pending, [.. w.Value.Batches]))];
    }

    public static SharedLimitRow[] SharedLimits(SampleState state) => [.. state.SharedLimits.Select(l =>
        new SharedLimitRow(l.Name, l.PausedUntil?.ToUnixTimeMilliseconds(), l.StartsLastMinute))];
}
