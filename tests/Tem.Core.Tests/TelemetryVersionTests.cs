using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>The meter and activity source report the version Tem was built as, not a literal.</summary>
public class TelemetryVersionTests
{
    [Fact]
    public void The_meter_and_source_carry_the_package_version()
    {
        var built = typeof(TemEngine).Assembly.GetName().Version!.ToString(3);
        Assert.NotEqual("1.0.0", built); // else this test could not tell the literal it replaced from the real version
        Assert.StartsWith(built, TemTelemetry.Meter.Version, StringComparison.Ordinal);
        Assert.Equal(TemTelemetry.Meter.Version, TemTelemetry.Source.Version);
        Assert.DoesNotContain("+", TemTelemetry.Meter.Version, StringComparison.Ordinal); // no commit suffix
    }
}
