using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>LearnedLimit: an advertised limit as a bucket whose refill rate is learned from "missing ÷ time until full".</summary>
public class LearnedLimitTests
{
    private static AdvertisedLimit Said(long limit, long remaining, double untilFullSeconds)
        => new(limit, remaining, TimeSpan.FromSeconds(untilFullSeconds));

    [Fact]
    public void The_refill_rate_is_learned_and_narrowed_over_responses()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 40, 6), now: 0, issuedBeforeSend: 0);
        // 60 missing (59 to 60, remaining is rounded down) refill in 6 s: between 9.83 and 10 a second.
        Assert.Equal(((59.0 / 6) + 10) / 2, limit.RefillPerSecond, 9);
        limit.Observe(Said(100, 0, 10.05), now: 1, issuedBeforeSend: 0);
        // 100 missing in 10.05 s: between 9.85 and 9.95; intersected with the first, [9.85, 9.95].
        Assert.Equal(((99 / 10.05) + (100 / 10.05)) / 2, limit.RefillPerSecond, 9);
        Assert.Equal(100, limit.Limit);
    }

    [Fact]
    public void The_level_refills_at_the_learned_rate_less_what_was_issued_since_the_report()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 40, 6), now: 0, issuedBeforeSend: 5);
        var refill = limit.RefillPerSecond;
        Assert.Equal(40, limit.Level(0, issued: 5), 9);
        Assert.Equal(40 + (2 * refill) - 3, limit.Level(2, issued: 8), 9);
        Assert.Equal(100 - 3, limit.Level(60, issued: 8), 9); // never above the limit
    }

    [Fact]
    public void An_exhausted_limit_is_paced_at_its_refill_rate_with_one_start_kept_in_hand()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 3, 9.7), now: 0, issuedBeforeSend: 0);
        Assert.Equal(2, limit.Allow(0, issued: 0, cost: 1, out _)); // 3 left, one kept in hand
        Assert.Equal(0, limit.Allow(0, issued: 2, cost: 1, out var wait));
        Assert.Equal(1 / limit.RefillPerSecond, wait, 9); // room is 0: one start's cost to refill
    }

    [Fact]
    public void A_refusal_for_an_exhausted_limit_keeps_twice_as_much_in_hand_once_a_second()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 40, 6), now: 0, issuedBeforeSend: 0);
        Assert.Equal(39, limit.Allow(0, 0, 1, out _));
        limit.OnExhausted(0, cost: 1);
        limit.OnExhausted(0.5, cost: 1); // the same burst
        Assert.Equal(38, limit.Allow(0, 0, 1, out _));
        limit.OnExhausted(1.0, cost: 1);
        Assert.Equal(36, limit.Allow(0, 0, 1, out _));
        Assert.Equal(3, limit.Refusals);
    }

    [Fact]
    public void A_lowered_limit_is_adopted_at_once_and_its_rate_learned_afresh()
    {
        var limit = new LearnedLimit("tokens");
        limit.Observe(Said(1000, 0, 10), now: 0, issuedBeforeSend: 0); // about 100 a second
        limit.Observe(Said(50, 25, 5), now: 1, issuedBeforeSend: 0);   // about 5 a second
        Assert.Equal(50, limit.Limit);
        Assert.Equal(((24.0 / 5) + 5) / 2, limit.RefillPerSecond, 9);
    }

    [Fact]
    public void One_contradicting_response_is_noise_three_in_a_row_are_a_new_rate()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 0, 10), now: 0, issuedBeforeSend: 0); // [9.9, 10]
        var learned = limit.RefillPerSecond;
        limit.Observe(Said(100, 90, 0.5), now: 1, issuedBeforeSend: 0); // [18, 20]
        Assert.Equal(learned, limit.RefillPerSecond, 9);
        limit.Observe(Said(100, 90, 0.5), now: 2, issuedBeforeSend: 0);
        Assert.Equal(learned, limit.RefillPerSecond, 9);
        limit.Observe(Said(100, 90, 0.5), now: 3, issuedBeforeSend: 0);
        Assert.Equal(19, limit.RefillPerSecond, 9);
    }

    [Fact]
    public void A_remaining_count_without_a_limit_is_followed_until_its_reset_then_nothing_is_known()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(new AdvertisedLimit(null, 5, TimeSpan.FromSeconds(2)), now: 10, issuedBeforeSend: 0);
        Assert.Null(limit.Limit);
        Assert.Equal(3, limit.Level(11, issued: 2), 9);
        Assert.Equal(0, limit.Allow(11, issued: 4, cost: 1, out var wait)); // 1 left, one kept in hand
        Assert.Equal(1, wait, 9); // until the reset
        Assert.Equal(double.PositiveInfinity, limit.Level(12, issued: 4));
        Assert.Equal(int.MaxValue, limit.Allow(12, issued: 4, cost: 1, out _));
    }

    [Fact]
    public void A_refusal_with_room_left_switches_to_even_spreading_and_later_ones_shrink_the_share()
    {
        var limit = new LearnedLimit("requests");
        limit.Observe(Said(100, 0, 10), now: 0, issuedBeforeSend: 0);
        limit.Observe(Said(100, 100, 0), now: 20, issuedBeforeSend: 0); // full again: the rate stays learned
        Assert.False(limit.Even);
        Assert.Equal(99, limit.Allow(20, 0, 1, out _));
        limit.OnShorterWindow(20);
        Assert.True(limit.Even);
        // Spread at 95% of the refill rate, a burst of two.
        Assert.Equal(2, limit.Allow(20, 0, 1, out _));
        limit.Take(20, 1, 2);
        Assert.Equal(0, limit.Allow(20, 2, 1, out var wait));
        Assert.Equal(1 / (limit.RefillPerSecond * 0.95), wait, 6);
        limit.OnShorterWindow(20.5); // the same burst: no cut
        limit.OnShorterWindow(21);
        Assert.Equal(3, limit.Refusals);
        Assert.Equal(2, limit.Allow(30, 2, 1, out _)); // after a quiet spell, the burst of two again
        limit.Take(30, 1, 2);
        Assert.Equal(0, limit.Allow(30, 4, 1, out wait));
        Assert.Equal(1 / (limit.RefillPerSecond * 0.95 * 0.9), wait, 6);
    }

    [Fact]
    public void An_unknown_limit_allows_everything()
    {
        var limit = new LearnedLimit("requests");
        Assert.False(limit.IsKnown);
        Assert.Equal(int.MaxValue, limit.Allow(0, 1_000, 1, out var wait));
        Assert.Equal(0, wait);
    }
}
