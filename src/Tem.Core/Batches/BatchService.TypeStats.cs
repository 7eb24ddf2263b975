namespace Tem;

// The per-type read, kept apart from the rest of the service: dashboards ask it, the engine never does.
public sealed partial class BatchService
{
    /// <summary>The batch's tasks per type and status, with the provider refusals of each type, ordered by type.</summary>
    /// <remarks>It reads every task row of the batch (type is not indexed with status), so a dashboard should ask it
    /// every few seconds, not in a tight loop.</remarks>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<IReadOnlyList<TaskTypeStats>> GetTypeStatsAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.GetTypeStatsAsync(batchId, cancellationToken).ConfigureAwait(false);
    }
}
