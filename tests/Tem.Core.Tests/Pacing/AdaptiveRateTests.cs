using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>AdaptiveRate: unlimited until a refusal, then 90% of what was accepted, cut by 15% per refusal a second, probing back up.</summary>
public class AdaptiveRateTests
{
    [Fact]
    public void Unlimited_until_the_first_refusal()
    {
        var rate = new AdaptiveRate();
        for (var i = 0; i < 50; i++)
        {
            rate.OnSucceeded(i * 0.01);
        }

        Assert.Equal(0, rate.Rate);
        Assert.Equal(int.MaxValue, rate.Allow(1, out _));
    }

    [Fact]
    public void The_first_refusal_sets_90_percent_of_the_accepted_rate_and_later_ones_cut_15_percent_once_a_second()
    {
        var rate = new AdaptiveRate();
        for (var i = 0; i < 10; i++)
        {
            rate.OnSucceeded(i * 0.1); // ten accepted over the first second
        }

        rate.OnRateLimited(1.0);
        Assert.Equal(9, rate.Rate, 9);
        rate.OnRateLimited(1.5); // a refusal of a request already in flight: the same signal
        Assert.Equal(9, rate.Rate, 9);
        rate.OnRateLimited(2.1);
        Assert.Equal(9 * 0.85, rate.Rate, 9);
        rate.OnSucceeded(2.2);
        Assert.Equal((9 * 0.85) + (1 / (9 * 0.85)), rate.Rate, 9);
    }

    [Fact]
    public void Only_the_last_two_seconds_count_and_the_rate_never_falls_below_half_a_start_a_second()
    {
        var rate = new AdaptiveRate();
        for (var i = 0; i < 100; i++)
        {
            rate.OnSucceeded(i * 0.01); // a burst long ago
        }

        rate.OnSucceeded(9.5);
        rate.OnRateLimited(10); // one accepted in the last two seconds, over half a second counted as one
        Assert.Equal(1, rate.Rate, 9);
        for (var t = 11; t < 40; t++)
        {
            rate.OnRateLimited(t);
        }

        Assert.Equal(0.5, rate.Rate, 9);
    }

    [Fact]
    public void Starts_are_spread_at_the_rate_with_a_burst_of_two()
    {
        var rate = new AdaptiveRate();
        for (var i = 0; i < 10; i++)
        {
            rate.OnSucceeded(i * 0.1);
        }

        rate.OnRateLimited(1.0); // 9 a second
        Assert.Equal(2, rate.Allow(1.0, out _));
        rate.Take(1.0, 2);
        Assert.Equal(0, rate.Allow(1.0, out var wait));
        Assert.Equal(1.0 / 9, wait, 6);
        Assert.Equal(1, rate.Allow(1.0 + (1.0 / 9) + 1e-6, out _));
    }
}
