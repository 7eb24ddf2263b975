namespace Tem;

/// <summary>
/// A worker as the store's heartbeat table records it (<see cref="WorkerReads.ListWorkersAsync"/>): any process on any
/// machine that ran a worker on this database and has not stopped cleanly.
/// </summary>
/// <param name="Owner">Its lease owner name (machine:pid:random).</param>
/// <param name="Machine">The machine it runs on.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="StartedAt">When it first wrote a heartbeat.</param>
/// <param name="HeartbeatAt">When it last wrote one.</param>
/// <param name="ExpiresAt">When its heartbeat expires: past that, it is dead or cut off from the database.</param>
/// <param name="Now">The store's clock at the read, to age the times above.</param>
/// <param name="TaskTypes">The task types it has handlers for.</param>
/// <param name="Scope">Which batches it serves, in words, or null for every batch.</param>
/// <param name="InFlight">How many tasks it holds running now.</param>
public sealed record WorkerInfo(string Owner, string Machine, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt,
    DateTimeOffset ExpiresAt, DateTimeOffset Now, IReadOnlyList<string> TaskTypes, string? Scope, long InFlight)
{
    /// <summary>Whether its heartbeat has not expired.</summary>
    public bool IsLive => ExpiresAt >= Now;

    /// <summary>How long ago its last heartbeat was written.</summary>
    public TimeSpan HeartbeatAge => Now - HeartbeatAt;

    /// <summary>
    /// Whether it looks paused by an outage: heartbeats are written every third of a lease, so one more than half a
    /// lease old means the worker could not reach the database (its lease guard stops claims and starts then), or its
    /// process is stuck or gone. A worker cannot write that it is paused while it cannot write: this is the reader's inference.
    /// </summary>
    public bool LooksPaused => HeartbeatAge > (ExpiresAt - HeartbeatAt) / 2;

    internal static string? DescribeScope(WorkerScope? scope)
    {
        if (scope is null || (scope.BatchIds is null && scope.BatchTypes is null))
        {
            return null;
        }

        var parts = new List<string>(2);
        if (scope.BatchIds is { } ids)
        {
            parts.Add("batches " + string.Join(", ", ids.Order()));
        }

        if (scope.BatchTypes is { } types)
        {
            parts.Add("batch types " + string.Join(", ", types.Order(StringComparer.Ordinal)));
        }

        return string.Join("; ", parts);
    }
}

/// <summary>A limit shared under a name by every process on the database (<see cref="RateLimitOptions.SharedName"/>), as the store holds it.</summary>
/// <param name="Name">The shared name.</param>
/// <param name="PausedUntil">Until when a provider's Retry-After paused it, or null when it is not paused.</param>
/// <param name="StartsLastMinute">Starts granted under it within the last minute, by every process, as far as the store still holds them: it keeps a limit's grants for its longest window only, so a per-second limit shows about its last second.</param>
public sealed record SharedLimitState(string Name, DateTimeOffset? PausedUntil, long StartsLastMinute);

/// <summary>Reads of the workers and shared limits a database knows of, for dashboards.</summary>
public static class WorkerReads
{
    /// <summary>Every worker row of the store, live or expired, with the tasks each holds running; ordered by machine, then process.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<IReadOnlyList<WorkerInfo>> ListWorkersAsync(this TemEngine engine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return await engine.Store.ListWorkersAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shared limits the store holds, with their pause and the last minute's starts; ordered by name.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<IReadOnlyList<SharedLimitState>> ListSharedLimitsAsync(this TemEngine engine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return await engine.Store.ListSharedLimitsAsync(cancellationToken).ConfigureAwait(false);
    }
}
