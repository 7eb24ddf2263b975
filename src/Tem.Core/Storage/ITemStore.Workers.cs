namespace Tem.Storage;

internal partial interface ITemStore
{
    /// <summary>Every worker row, live or expired, with the tasks each holds running (dashboards).</summary>
    ValueTask<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken);

    /// <summary>Every shared limit's pause and starts within the last minute (dashboards).</summary>
    ValueTask<IReadOnlyList<SharedLimitState>> ListSharedLimitsAsync(CancellationToken cancellationToken);
}
