namespace Tem.Storage.Postgres;

internal sealed partial class PostgresTemStore
{
    public async ValueTask<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken)
        => await _db.RunAsync(tx => tx.ListAsync(WorkerRows.Workers("{s}.", "{now}"), WorkerRows.ReadWorker, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<SharedLimitState>> ListSharedLimitsAsync(CancellationToken cancellationToken)
        => await _db.RunAsync(tx => tx.ListAsync(WorkerRows.SharedLimits("{s}.", "{now}"), WorkerRows.ReadSharedLimit, cancellationToken), cancellationToken).ConfigureAwait(false);
}
