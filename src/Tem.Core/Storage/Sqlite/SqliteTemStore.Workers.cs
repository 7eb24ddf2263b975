namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken)
        => Done<IReadOnlyList<WorkerInfo>>(_db.Read(read => read.List(WorkerRows.Workers("", "$now"), WorkerRows.ReadWorker, ("$now", _db.NowMs()))));

    public ValueTask<IReadOnlyList<SharedLimitState>> ListSharedLimitsAsync(CancellationToken cancellationToken)
        => Done<IReadOnlyList<SharedLimitState>>(_db.Read(read => read.List(WorkerRows.SharedLimits("", "$now"), WorkerRows.ReadSharedLimit, ("$now", _db.NowMs()))));
}
