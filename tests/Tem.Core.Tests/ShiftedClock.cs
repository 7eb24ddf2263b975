namespace Tem.Core.Tests;

/// <summary>
/// The system clock moved on by whatever a test adds: time still passes on its own (the shared-rate tests wait out
/// real windows), and a test can jump past a lease instead of sleeping through it.
/// </summary>
internal sealed class ShiftedClock : TimeProvider
{
    private long _shiftTicks;

    public void Shift(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

    /// <summary>Moves the clock just past <paramref name="lease"/>: a lease taken now has expired, without waiting.</summary>
    public ValueTask PassAsync(TimeSpan lease)
    {
        Shift(lease + TimeSpan.FromMilliseconds(1));
        return ValueTask.CompletedTask;
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
}
