namespace Tem.Storage;

/// <summary>
/// A store's grant log for shared limits, seen from inside one transaction: the few statements
/// <see cref="SharedRateRules"/> needs. <see cref="LockAsync"/> comes first and holds the bucket's row until the
/// transaction ends, so grants under one name are made one at a time, each seeing every grant before it.
/// </summary>
internal interface IRateLedger
{
    /// <summary>
    /// Creates the bucket if missing and locks it; raises the log's keeping time to <paramref name="keepMs"/> and prunes
    /// grants older than it. Returns the store's clock, read after the lock was taken, and the pause's end (Unix ms).
    /// </summary>
    ValueTask<(long NowMs, long PausedUntilMs)> LockAsync(string bucket, long keepMs, CancellationToken cancellationToken);

    /// <summary>For each of <paramref name="afterMs"/>: the weight of <paramref name="kind"/> granted strictly after it.</summary>
    ValueTask<long[]> UsedAsync(string bucket, string kind, long[] afterMs, CancellationToken cancellationToken);

    /// <summary>
    /// The grant time of the entry at which the weight of <paramref name="kind"/> granted after <paramref name="afterMs"/>,
    /// summed oldest first, reaches <paramref name="weight"/>; null if it never does.
    /// </summary>
    ValueTask<long?> ReachedAtAsync(string bucket, string kind, long afterMs, long weight, CancellationToken cancellationToken);

    /// <summary>Logs a grant of <paramref name="weight"/> at <paramref name="atMs"/>.</summary>
    ValueTask RecordAsync(string bucket, string kind, long atMs, long weight, CancellationToken cancellationToken);

    /// <summary>Takes <paramref name="weight"/> back from one grant logged at <paramref name="grantedAtMs"/>, if it is still in the log.</summary>
    ValueTask ReturnAsync(string bucket, string kind, long grantedAtMs, long weight, CancellationToken cancellationToken);

    /// <summary>Grants no start under <paramref name="bucket"/> before <paramref name="untilMs"/> (a later pause already set stays).</summary>
    ValueTask PauseAsync(string bucket, long untilMs, CancellationToken cancellationToken);
}
