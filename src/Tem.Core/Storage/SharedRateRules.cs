namespace Tem.Storage;

/// <summary>
/// How a shared limit grants, the same for every store (the store only supplies its <see cref="IRateLedger"/>): inside
/// the store's transaction, with the bucket locked, each window's log of grants is summed over the window ending now,
/// and a grant is made only if every window has room for it. The log is exact — one entry per grant with its weight —
/// so no span of a window's length ever holds more than its permits, wherever it is placed.
/// </summary>
internal static class SharedRateRules
{
    /// <summary>The log entries of task starts.</summary>
    public const string StartKind = "start";

    /// <summary>The log entries of token reservations.</summary>
    public const string TokenKind = "token";

    /// <summary>
    /// Locks the bucket and says how many starts (up to <paramref name="wanted"/>) the start windows and the pause allow
    /// now, without logging them: the caller logs what it really uses with <see cref="RecordStartsAsync"/>. When none
    /// is allowed, RetryIn says when one may be.
    /// </summary>
    public static async ValueTask<(long Room, TimeSpan RetryIn, long NowMs)> StartRoomAsync(IRateLedger ledger, SharedRateLimit limit, long wanted, CancellationToken ct, long? returnGrantAtMs = null)
    {
        var (now, pausedUntil) = await ledger.LockAsync(limit.Name, limit.KeepMs, ct).ConfigureAwait(false);
        if (returnGrantAtMs is { } staleAt && limit.Starts.Count > 0)
        {
            // No start happened under that grant: its task asks for a fresh one instead, so the old one is given back.
            await ledger.ReturnAsync(limit.Name, StartKind, staleAt, 1, ct).ConfigureAwait(false);
        }

        if (now < pausedUntil)
        {
            return (0, TimeSpan.FromMilliseconds(pausedUntil - now + 1), now);
        }

        var (room, retryIn) = await RoomAsync(ledger, limit.Name, StartKind, limit.Starts, now, need: 1, wanted, ct).ConfigureAwait(false);
        return (room, retryIn, now);
    }

    /// <summary>Logs <paramref name="count"/> starts granted at <paramref name="nowMs"/> (the time <see cref="StartRoomAsync"/> returned).</summary>
    public static ValueTask RecordStartsAsync(IRateLedger ledger, SharedRateLimit limit, long nowMs, long count, CancellationToken ct)
        => count > 0 && limit.Starts.Count > 0 ? ledger.RecordAsync(limit.Name, StartKind, nowMs, count, ct) : ValueTask.CompletedTask;

    /// <summary>
    /// Grants and logs up to <paramref name="wanted"/> starts now; first gives back one start of the grant logged at
    /// <paramref name="returnGrantAtMs"/>, if given (a grant that grew too old before its handler started).
    /// </summary>
    public static async ValueTask<SharedGrant> AcquireStartsAsync(IRateLedger ledger, SharedRateLimit limit, long wanted, long? returnGrantAtMs, CancellationToken ct)
    {
        var (room, retryIn, now) = await StartRoomAsync(ledger, limit, wanted, ct, returnGrantAtMs).ConfigureAwait(false);
        await RecordStartsAsync(ledger, limit, now, room, ct).ConfigureAwait(false);
        return new SharedGrant(room, retryIn, now);
    }

    /// <summary>
    /// Claims under the start windows, inside the store's transaction: locks the bucket, lets <paramref name="claim"/> take
    /// up to as many tasks as the windows allow, and logs one start per task it took. When the windows allowed fewer than
    /// <paramref name="wanted"/> and all of those were taken, RetryIn says when the next start fits, so the claim loop
    /// waits for exactly that rather than its poll interval.
    /// </summary>
    public static async ValueTask<SharedClaim> ClaimAsync(
        IRateLedger ledger, SharedRateLimit limit, int wanted, Func<int, ValueTask<List<ClaimedTask>>> claim, CancellationToken ct)
    {
        var (room, retryIn, now) = await StartRoomAsync(ledger, limit, wanted, ct).ConfigureAwait(false);
        if (room <= 0)
        {
            return new SharedClaim([], retryIn, now);
        }

        // The claim runs while the bucket is locked, so the starts logged are exactly the tasks it took.
        var claimed = await claim((int)room).ConfigureAwait(false);
        await RecordStartsAsync(ledger, limit, now, claimed.Count, ct).ConfigureAwait(false);
        if (claimed.Count == room && room < wanted)
        {
            (_, retryIn) = await RoomAsync(ledger, limit.Name, StartKind, limit.Starts, now, need: 1, wanted: 1, ct).ConfigureAwait(false);
        }

        return new SharedClaim(claimed, retryIn, now);
    }

    /// <summary>Grants and logs all of <paramref name="tokens"/> now, or none (a pause holds back starts, not tokens).</summary>
    public static async ValueTask<SharedGrant> ReserveTokensAsync(IRateLedger ledger, SharedRateLimit limit, long tokens, CancellationToken ct)
    {
        var (now, _) = await ledger.LockAsync(limit.Name, limit.KeepMs, ct).ConfigureAwait(false);
        var (room, retryIn) = await RoomAsync(ledger, limit.Name, TokenKind, limit.Tokens, now, need: tokens, wanted: tokens, ct).ConfigureAwait(false);
        if (room < tokens)
        {
            return new SharedGrant(0, retryIn);
        }

        if (limit.Tokens.Count > 0 && tokens > 0)
        {
            await ledger.RecordAsync(limit.Name, TokenKind, now, tokens, ct).ConfigureAwait(false);
        }

        return new SharedGrant(tokens, TimeSpan.Zero, now);
    }

    /// <summary>Pauses every start under the bucket for <paramref name="delay"/> from the store's clock now.</summary>
    public static async ValueTask PauseAsync(IRateLedger ledger, SharedRateLimit limit, TimeSpan delay, CancellationToken ct)
    {
        var (now, _) = await ledger.LockAsync(limit.Name, limit.KeepMs, ct).ConfigureAwait(false);
        await ledger.PauseAsync(limit.Name, now + (long)Math.Ceiling(delay.TotalMilliseconds), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Room in every window for up to <paramref name="wanted"/>, or 0 when some window lacks room for <paramref name="need"/>;
    /// then RetryIn is when the oldest grants that stand in the way have left every such window.
    /// </summary>
    private static async ValueTask<(long Room, TimeSpan RetryIn)> RoomAsync(
        IRateLedger ledger, string bucket, string kind, IReadOnlyList<SharedWindow> windows, long now, long need, long wanted, CancellationToken ct)
    {
        if (windows.Count == 0)
        {
            return (wanted, TimeSpan.Zero);
        }

        var after = windows.Select(w => now - w.LengthMs).ToArray();
        var used = await ledger.UsedAsync(bucket, kind, after, ct).ConfigureAwait(false);
        var room = wanted;
        for (var i = 0; i < windows.Count; i++)
        {
            room = Math.Min(room, windows[i].Permits - used[i]);
        }

        if (room >= need)
        {
            return (room, TimeSpan.Zero);
        }

        var waitMs = 1L;
        for (var i = 0; i < windows.Count; i++)
        {
            var excess = used[i] + need - windows[i].Permits;
            if (excess <= 0)
            {
                continue;
            }

            // Once the grants that make up the excess (oldest first) have left the window, the need fits.
            var reached = await ledger.ReachedAtAsync(bucket, kind, after[i], excess, ct).ConfigureAwait(false);
            waitMs = Math.Max(waitMs, reached is { } at ? at + windows[i].LengthMs - now + 1 : windows[i].LengthMs);
        }

        return (0, TimeSpan.FromMilliseconds(waitMs));
    }
}
