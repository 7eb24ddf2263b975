namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<T> RunSpendAsync<T>(Func<ISpendLedger, ValueTask<T>> rules, bool readOnly, CancellationToken cancellationToken)
        => readOnly
            ? Done(_db.Read(read => SqliteLedger.Run(rules(new SqliteSpendStatements(read, _db.NowMs())))))
            : Done(_db.Write(write => SqliteLedger.Run(rules(new SqliteSpendStatements(write.AsRead(), write.NowMs)))));
}
