namespace Tem.Storage;

/// <summary>
/// Which running tasks a lost-run primitive ends: every run whose lease expired (<see cref="Expired"/>), or the runs of
/// one batch whose owner is not among the live workers (<see cref="OfBatch"/>, the resume after a crash).
/// </summary>
internal readonly record struct LostRuns(long? BatchId, IReadOnlyCollection<string>? LiveOwners)
{
    public static LostRuns Expired => default;

    public static LostRuns OfBatch(long batchId, IReadOnlyCollection<string> liveOwners) => new(batchId, liveOwners);
}
