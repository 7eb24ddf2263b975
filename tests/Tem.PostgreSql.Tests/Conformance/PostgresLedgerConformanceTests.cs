using Tem.Core.Tests.Conformance;
using Tem.Storage;

namespace Tem.PostgreSql.Tests.Conformance;

/// <summary>The ledger conformance suite on PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgresLedgerConformanceTests : LedgerConformanceTests, IAsyncDisposable
{
    private readonly string _schema = PostgresServer.NewSchema();

    internal override async ValueTask<ITemStore> OpenStoreAsync()
        => await PostgresServer.Options(_schema).OpenAsync(TimeProvider.System, CancellationToken.None);

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await PostgresServer.DropSchemaAsync(_schema);
    }
}
