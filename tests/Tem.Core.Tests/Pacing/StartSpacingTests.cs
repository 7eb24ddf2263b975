using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>StartSpacing: starts one interval apart at a rate, with a burst allowed only after a quiet spell.</summary>
public class StartSpacingTests
{
    [Fact]
    public void Starts_are_one_interval_apart_and_the_wait_says_until_when()
    {
        var spacing = new StartSpacing();
        Assert.Equal(1, spacing.Allow(0, rate: 2, burst: 1, out _));
        spacing.Take(0, 2, 1);
        Assert.Equal(0, spacing.Allow(0.2, 2, 1, out var wait));
        Assert.Equal(0.3, wait, 9);
        Assert.Equal(1, spacing.Allow(0.5, 2, 1, out _));
    }

    [Fact]
    public void A_quiet_spell_allows_the_burst_and_no_more()
    {
        var spacing = new StartSpacing();
        Assert.Equal(3, spacing.Allow(10, rate: 2, burst: 3, out _));
        spacing.Take(10, 2, 3);
        // Three starts at 10 push the next due time to 11.5; the burst's tolerance of one second lets one go at 10.5.
        Assert.Equal(0, spacing.Allow(10.1, 2, 3, out var wait));
        Assert.Equal(0.4, wait, 9);
        Assert.Equal(1, spacing.Allow(10.5, 2, 3, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(double.PositiveInfinity)]
    public void No_rate_spaces_nothing(double rate)
    {
        var spacing = new StartSpacing();
        spacing.Take(0, rate, 100);
        Assert.Equal(int.MaxValue, spacing.Allow(0, rate, 1, out var wait));
        Assert.Equal(0, wait);
    }
}
