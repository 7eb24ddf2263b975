using Xunit;
using Tem.Core.Tests.Conformance;
using Tem.Storage;

namespace Tem.PostgreSql.Tests.Conformance;

/// <summary>The store conformance suite on PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgresStoreConformanceTests : StoreConformanceTests, IAsyncDisposable
{
    private readonly string _schema = PostgresServer.NewSchema();

    internal override async ValueTask<ITemStore> OpenStoreAsync()
        => await PostgresServer.Options(_schema).OpenAsync(TimeProvider.System, CancellationToken.None);

    /// <summary>
    /// Leases run on the server's clock, which no test can hold: poll that clock (with a deadline) until it has moved
    /// past the lease, measured from the first reading.
    /// </summary>
    internal override async ValueTask PassLeaseAsync(TimeSpan lease)
    {
        const string Now = "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint;";
        var target = (long)(await PostgresServer.ScalarAsync(Now))! + (long)Math.Ceiling(lease.TotalMilliseconds) + 1;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await PostgresServer.ScalarAsync(Now))! <= target)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server's clock did not move past the lease within 30 s");
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await PostgresServer.DropSchemaAsync(_schema);
    }
}
