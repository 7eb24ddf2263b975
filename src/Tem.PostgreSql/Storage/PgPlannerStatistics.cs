namespace Tem.Storage.Postgres;

/// <summary>
/// Keeps the planner's statistics of the task table in step with enqueues. Thousands of new pending rows make them
/// wrong until autovacuum analyzes the table, a minute or more later; meanwhile the planner expects a handful of
/// pending rows and plans the claim as "fetch every pending row and sort" (9–27 ms per claim at 40,000 rows), and the
/// plan stays cached with the prepared statement. So once the rows this store added since its last ANALYZE reach a
/// threshold, it runs ANALYZE (a sample, not a scan; it also invalidates cached plans). The threshold doubles after
/// each run, so a million rows enqueued in small calls cost a handful of ANALYZEs, not hundreds.
/// </summary>
internal sealed class PgPlannerStatistics(PgDatabase db)
{
    private const long FirstThreshold = 4_096;

    private long _added;
    private long _threshold = FirstThreshold;

    /// <summary>
    /// Counts <paramref name="inserted"/> committed rows, and analyzes the task table when they reach the threshold.
    /// Never throws: the rows are committed, and an enqueue must not look failed because an optimisation did
    /// (autovacuum analyzes the table in the end anyway).
    /// </summary>
    public async ValueTask AddedAsync(long inserted)
    {
        if (inserted <= 0 || Interlocked.Add(ref _added, inserted) < Volatile.Read(ref _threshold))
        {
            return;
        }

        Interlocked.Exchange(ref _added, 0);
        Interlocked.Exchange(ref _threshold, Math.Min(Volatile.Read(ref _threshold) * 2, 1L << 40));
        try
        {
            await db.RunStatementAsync(tx => tx.ExecuteAsync("ANALYZE {s}.task;", CancellationToken.None), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TemException)
        {
        }
    }
}
