namespace Tem.Storage;

/// <summary>Limits shared under a name by every engine on the database (<see cref="RateLimitOptions.SharedName"/>), granted on the store's clock.</summary>
internal partial interface ITemStore
{
    /// <summary>
    /// Claims like <see cref="ClaimAsync"/>, but no more tasks than <paramref name="limit"/>'s start windows and pause
    /// allow now, and logs one start per task claimed — all in one transaction, so a grant is never left unclaimed.
    /// When the limit allows none, nothing is claimed and RetryIn says when to ask again.
    /// </summary>
    ValueTask<SharedClaim> ClaimSharedAsync(SharedRateLimit limit, string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int wanted, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Grants and logs up to <paramref name="wanted"/> starts under <paramref name="limit"/> now, or none and when to ask
    /// again. With <paramref name="returnGrantAtMs"/>, first gives back one start of the grant logged then: its task never
    /// started under it.
    /// </summary>
    ValueTask<SharedGrant> AcquireSharedStartsAsync(SharedRateLimit limit, int wanted, long? returnGrantAtMs, CancellationToken cancellationToken);

    /// <summary>Grants and logs all of <paramref name="tokens"/> under <paramref name="limit"/>'s token windows now, or none and when to ask again.</summary>
    ValueTask<SharedGrant> ReserveSharedTokensAsync(SharedRateLimit limit, int tokens, CancellationToken cancellationToken);

    /// <summary>Grants no start under <paramref name="limit"/> for <paramref name="delay"/> from the store's clock now (a provider's Retry-After).</summary>
    ValueTask PauseSharedAsync(SharedRateLimit limit, TimeSpan delay, CancellationToken cancellationToken);
}
