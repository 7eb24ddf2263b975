namespace Tem.Storage.Postgres;

internal sealed partial class PostgresTemStore
{
    public async ValueTask<SharedClaim> ClaimSharedAsync(SharedRateLimit limit, string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int wanted, TimeSpan lease, CancellationToken cancellationToken)
    {
        var types = taskTypes.ToArray();
        return await _db.RunAsync(tx => SharedRateRules.ClaimAsync(new PgRateStatements(tx), limit, wanted,
            room => PgRunStatements.ClaimAsync(tx, owner, types, scope, room, lease, cancellationToken), cancellationToken), cancellationToken).ConfigureAwait(false);
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
