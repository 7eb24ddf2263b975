using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>AdaptiveConcurrency on a held clock: slow start by time and by successes, cuts on refusals, a slow restart after a pause.</summary>
public class AdaptiveConcurrencyTests
{
    private readonly HeldClock _time = new();

    [Fact]
    public void Slow_start_doubles_every_100_ms_without_a_refusal_up_to_the_maximum()
    {
        var window = new AdaptiveConcurrency(20, enabled: true, _time);
        Assert.Equal(4, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(4, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(8, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(16, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(20, window.Current);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(20, window.Current);
    }

    [Fact]
    public void Each_success_in_slow_start_adds_one()
    {
        var window = new AdaptiveConcurrency(20, enabled: true, _time);
        Assert.Equal(4, window.Current);
        window.OnSuccess();
        window.OnSuccess();
        Assert.Equal(6, window.Current);
    }

    [Fact]
    public void A_concurrency_refusal_sets_the_window_below_what_was_in_flight_and_probing_past_it_is_slow()
    {
        var window = new AdaptiveConcurrency(64, enabled: true, _time);
        Grow(window, rounds: 2);
        Assert.Equal(16, window.Current);
        window.OnConcurrencyRefused(inFlightAtSend: 10);
        Assert.Equal(9, window.Current);
        _time.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 100; i++)
        {
            window.OnSuccess(); // a twentieth of a normal round's growth each: 100 successes are about half a slot
        }

        Assert.Equal(9, window.Current);
    }

    [Fact]
    public void An_overload_cuts_30_percent_at_most_once_a_second()
    {
        var window = new AdaptiveConcurrency(20, enabled: true, _time);
        Grow(window, rounds: 3);
        Assert.Equal(20, window.Current);
        window.OnOverload();
        Assert.Equal(14, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        window.OnOverload();
        Assert.Equal(14, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        window.OnOverload();
        Assert.Equal(9, window.Current); // 9.8
    }

    [Fact]
    public void A_restart_begins_again_from_four_and_doubles_back_to_where_it_was()
    {
        var window = new AdaptiveConcurrency(20, enabled: true, _time);
        Grow(window, rounds: 3);
        Assert.Equal(20, window.Current);
        window.Restart();
        Assert.Equal(4, window.Current);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(8, window.Current);
        Grow(window, rounds: 2);
        Assert.Equal(20, window.Current);
    }

    [Fact]
    public void One_look_after_a_long_quiet_spell_doubles_once_not_per_elapsed_round()
    {
        var window = new AdaptiveConcurrency(64, enabled: true, _time);
        Assert.Equal(4, window.Current);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(8, window.Current);
    }

    [Fact]
    public void Disabled_it_is_always_the_configured_concurrency()
    {
        var window = new AdaptiveConcurrency(12, enabled: false, _time);
        Assert.Equal(12, window.Current);
        window.OnOverload();
        window.OnConcurrencyRefused(3);
        window.Restart();
        Assert.Equal(12, window.Current);
    }

    /// <summary>Lets <paramref name="rounds"/> doubling times pass, looking at the window after each, as the claim loop does.</summary>
    private void Grow(AdaptiveConcurrency window, int rounds)
    {
        _ = window.Current;
        for (var i = 0; i < rounds; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            _ = window.Current;
        }
    }
}
