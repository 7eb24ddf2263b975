namespace Tem.Dashboard;

/// <summary>One batch as the sampler last read it: the batch row, its counts, refusals and its tasks per type.</summary>
/// <remarks><see cref="Types"/> and <see cref="Refusals"/> come from the per-type read, which scans the batch's rows; it is
/// repeated less often than the indexed counts on big batches, so they may lag <see cref="Stats"/> by a few seconds.</remarks>
internal sealed record BatchSample(Batch Batch, BatchStats Stats, long Refusals, IReadOnlyList<TaskTypeStats> Types, long TypesReadAtMs, double TypesReadCostMs)
{
    /// <summary>Whether the counts may still move without the batch row changing: worth reading again on every tick.</summary>
    public bool IsLive => Batch.Status == BatchStatus.Active || Stats.Running > 0;

    public BatchRow ToRow() => new(Batch.Id, Batch.Code, Batch.Type, StatusText.Of(Batch.Status), Counts.From(Stats),
        Batch.CreatedAt.ToUnixTimeMilliseconds(), Batch.CompletedAt?.ToUnixTimeMilliseconds(), Refusals);
}

/// <summary>Everything the sampler read on one tick.</summary>
internal sealed record SampleState(long NowMs, IReadOnlyList<BatchSample> Batches, string? Problem)
{
    public static readonly SampleState Empty = new(0, [], null);

    /// <summary>The store's worker rows, live or expired.</summary>
    public IReadOnlyList<WorkerInfo> Workers { get; init; } = [];

    /// <summary>The store's shared limits.</summary>
    public IReadOnlyList<SharedLimitState> SharedLimits { get; init; } = [];

    public BatchSample? Find(long batchId)
    {
        foreach (var sample in Batches)
        {
            if (sample.Batch.Id == batchId)
            {
                return sample;
            }
        }

        return null;
    }
}
