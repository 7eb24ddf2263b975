namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<SharedClaim> ClaimSharedAsync(SharedRateLimit limit, string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int wanted, TimeSpan lease, CancellationToken cancellationToken)
    {
        var typesJson = JsonStrings(taskTypes);
        return Done(_db.Write(write =>
        {
            var ledger = new SqliteRateStatements(write);
            var (room, retryIn, now) = SqliteRateStatements.Run(SharedRateRules.StartRoomAsync(ledger, limit, wanted, cancellationToken));
            if (room <= 0)
            {
                return new SharedClaim([], retryIn);
            }

            var claimed = SqliteRunStatements.ClaimTasks(write, owner, typesJson, scope, (int)room, lease);
            SqliteRateStatements.Run(ToResult(SharedRateRules.RecordStartsAsync(ledger, limit, now, claimed.Count, cancellationToken)));
            return new SharedClaim(claimed, TimeSpan.Zero, now);
        }));
    }

    public ValueTask<SharedGrant> AcquireSharedStartsAsync(SharedRateLimit limit, int wanted, long? returnGrantAtMs, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteRateStatements.Run(SharedRateRules.AcquireStartsAsync(new SqliteRateStatements(write), limit, wanted, returnGrantAtMs, cancellationToken))));

    public ValueTask<SharedGrant> ReserveSharedTokensAsync(SharedRateLimit limit, int tokens, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteRateStatements.Run(SharedRateRules.ReserveTokensAsync(new SqliteRateStatements(write), limit, tokens, cancellationToken))));

    public ValueTask PauseSharedAsync(SharedRateLimit limit, TimeSpan delay, CancellationToken cancellationToken)
    {
        _db.Write(write => SqliteRateStatements.Run(ToResult(SharedRateRules.PauseAsync(new SqliteRateStatements(write), limit, delay, cancellationToken))));
        return ValueTask.CompletedTask;
    }

    private static async ValueTask<bool> ToResult(ValueTask work)
    {
        await work.ConfigureAwait(false);
        return true;
    }
}
