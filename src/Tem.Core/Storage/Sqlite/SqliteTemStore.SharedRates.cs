namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<SharedClaim> ClaimSharedAsync(SharedRateLimit limit, string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int wanted, TimeSpan lease, CancellationToken cancellationToken)
    {
        var typesJson = JsonStrings(taskTypes);
        return Done(_db.Write(write => SqliteRateStatements.Run(SharedRateRules.ClaimAsync(new SqliteRateStatements(write), limit, wanted,
            room => ValueTask.FromResult(SqliteRunStatements.ClaimTasks(write, owner, typesJson, scope, room, lease)), cancellationToken))));
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
