using Microsoft.Extensions.Time.Testing;

namespace Tem.Core.Tests.Pacing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose timestamps count from its creation, as <see cref="System.Diagnostics.Stopwatch"/>'s
/// count from boot. FakeTimeProvider's own count from year 1, about 6×10¹⁰ s, where the pacing's seconds held in a double
/// keep only ~15 µs and an exact assertion on a wait would fail on rounding alone.
/// </summary>
internal sealed class HeldClock : FakeTimeProvider
{
    /// <summary>How long, in real time, a test waits for work its advance released (continuations on a loaded machine).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly long _origin;

    public HeldClock() => _origin = base.GetTimestamp();

    public override long GetTimestamp() => base.GetTimestamp() - _origin;
}
