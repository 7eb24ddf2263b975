namespace Tem.Storage;

internal partial interface ITemStore
{
    /// <summary>The batch's tasks counted per type and status, with the sum of their rate-limit deferrals, ordered by type.</summary>
    ValueTask<IReadOnlyList<TaskTypeStats>> GetTypeStatsAsync(long batchId, CancellationToken cancellationToken);
}
