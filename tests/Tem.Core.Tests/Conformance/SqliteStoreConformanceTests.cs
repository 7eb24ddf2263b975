using Tem.Storage;

namespace Tem.Core.Tests.Conformance;

/// <summary>The store conformance suite on a SQLite file in a temporary folder.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests, IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly ShiftedClock _clock = new();

    internal override async ValueTask<ITemStore> OpenStoreAsync()
        => await new SqliteStoreOptions { Path = _db.Path }.OpenAsync(_clock, CancellationToken.None);

    /// <summary>The SQLite store's times come from the clock it was opened on: move it on, nothing waits.</summary>
    internal override ValueTask PassLeaseAsync(TimeSpan lease) => _clock.PassAsync(lease);

    public void Dispose() => _db.Dispose();
}
