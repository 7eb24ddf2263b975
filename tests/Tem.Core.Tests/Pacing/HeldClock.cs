using Microsoft.Extensions.Time.Testing;

namespace Tem.Core.Tests.Pacing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose timestamps count from its creation, as <see cref="System.Diagnostics.Stopwatch"/>'s
/// count from boot. FakeTimeProvider's own count from year 1, about 6×10¹⁰ s, where the pacing's seconds held in a double
/// keep only ~15 µs and an exact assertion on a wait would fail on rounding alone.
/// </summary>
internal sealed class HeldClock : FakeTimeProvider
{
    private readonly long _origin;

    public HeldClock() => _origin = base.GetTimestamp();

    public override long GetTimestamp() => base.GetTimestamp() - _origin;
}
