using Tem.Core.Tests.Conformance;
using Tem.Storage;

namespace Tem.PostgreSql.Tests.Conformance;

/// <summary>The ledger conformance suite on PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgresLedgerConformanceTests : LedgerConformanceTests, IAsyncDisposable
{
    private readonly string _schema = PostgresServer.NewSchema();

    internal override async ValueTask<ITemStore> OpenStoreAsync()
        => await PostgresServer.Options(_schema).OpenAsync(TimeProvider.System, CancellationToken.None);

    /// <summary>Leases run on the server's clock, which no test can hold: waits until it has moved past the lease.</summary>
    internal override ValueTask PassLeaseAsync(TimeSpan lease) => PostgresServer.PassServerClockAsync(lease);

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await PostgresServer.DropSchemaAsync(_schema);
    }
}
