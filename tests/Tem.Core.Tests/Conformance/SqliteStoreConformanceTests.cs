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
    internal override ValueTask PassLeaseAsync(TimeSpan lease)
    {
        _clock.Shift(lease + TimeSpan.FromMilliseconds(1));
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _db.Dispose();
}

/// <summary>
/// The system clock moved on by whatever a test adds: time still passes on its own (the shared-rate tests wait out
/// real windows), and a test can jump past a lease instead of sleeping through it.
/// </summary>
internal sealed class ShiftedClock : TimeProvider
{
    private long _shiftTicks;

    public void Shift(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
}
