namespace Tem.Storage.Postgres;

internal sealed partial class PostgresTemStore
{
    public async ValueTask<SharedClaim> ClaimSharedAsync(SharedRateLimit limit, string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int wanted, TimeSpan lease, CancellationToken cancellationToken)
    {
        var types = taskTypes.ToArray();
        return await _db.RunAsync(async tx =>
        {
            var ledger = new PgRateStatements(tx);
            var (room, retryIn, now) = await SharedRateRules.StartRoomAsync(ledger, limit, wanted, cancellationToken).ConfigureAwait(false);
            if (room <= 0)
            {
                return new SharedClaim([], retryIn);
            }

            // The claim runs while the bucket is locked, so the starts it logs are exactly the tasks it took.
            var claimed = await PgRunStatements.ClaimAsync(tx, owner, types, scope, (int)room, lease, cancellationToken).ConfigureAwait(false);
            await SharedRateRules.RecordStartsAsync(ledger, limit, now, claimed.Count, cancellationToken).ConfigureAwait(false);
            return new SharedClaim(claimed, TimeSpan.Zero, now);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<SharedGrant> AcquireSharedStartsAsync(SharedRateLimit limit, int wanted, long? returnGrantAtMs, CancellationToken cancellationToken)
        => _db.RunAsync(tx => SharedRateRules.AcquireStartsAsync(new PgRateStatements(tx), limit, wanted, returnGrantAtMs, cancellationToken), cancellationToken);

    public ValueTask<SharedGrant> ReserveSharedTokensAsync(SharedRateLimit limit, int tokens, CancellationToken cancellationToken)
        => _db.RunAsync(tx => SharedRateRules.ReserveTokensAsync(new PgRateStatements(tx), limit, tokens, cancellationToken), cancellationToken);

    public async ValueTask PauseSharedAsync(SharedRateLimit limit, TimeSpan delay, CancellationToken cancellationToken)
        => await _db.RunAsync(async tx =>
        {
            await SharedRateRules.PauseAsync(new PgRateStatements(tx), limit, delay, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
}
