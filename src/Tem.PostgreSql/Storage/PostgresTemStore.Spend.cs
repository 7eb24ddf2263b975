namespace Tem.Storage.Postgres;

internal sealed partial class PostgresTemStore
{
    public ValueTask<T> RunSpendAsync<T>(Func<ISpendLedger, ValueTask<T>> rules, bool readOnly, CancellationToken cancellationToken)
        => _db.RunAsync(tx => rules(new PgSpendStatements(tx, lockRows: !readOnly)), cancellationToken);
}
