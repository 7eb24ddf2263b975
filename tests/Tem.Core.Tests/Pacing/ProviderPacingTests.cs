using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>ProviderPacing on a held clock: burst or even placement of configured windows, pauses, backoff, learned rates.</summary>
public class ProviderPacingTests
{
    private readonly HeldClock _time = new();

    private ProviderPacing Pacing(RateLimitOptions? limits = null, bool? adaptive = null, TimeSpan? maxRetryAfter = null) => new(new TemOptions
    {
        DatabasePath = "unused.db",
        Concurrency = 20,
        RateLimit = limits,
        AdaptiveConcurrency = adaptive,
        MaxRetryAfter = maxRetryAfter ?? TimeSpan.FromMinutes(5),
    }, _time);

    [Fact]
    public void Burst_pacing_spends_the_window_at_once()
    {
        var pacing = Pacing(new RateLimitOptions { PerSecond = 5, SafetyMargin = TimeSpan.Zero, Pacing = RatePacing.Burst });
        Assert.Equal(5, pacing.TryAcquire(10, [], out _));
    }

    [Fact]
    public void Even_pacing_spreads_starts_one_window_over_permits_apart()
    {
        var pacing = Pacing(new RateLimitOptions { PerSecond = 5, SafetyMargin = TimeSpan.Zero, Pacing = RatePacing.Even });
        Assert.Equal(1, pacing.TryAcquire(10, [], out _));
        Assert.Equal(0, pacing.TryAcquire(10, [], out var retryIn));
        Assert.Equal(0.2, retryIn.TotalSeconds, 6);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, pacing.TryAcquire(10, [], out _));
    }

    [Fact]
    public void A_rate_limit_refusal_pauses_starts_for_its_retry_after_then_the_learned_rate_paces_them()
    {
        var pacing = Pacing();
        var wait = pacing.OnRefused(new RetryAfterException(TimeSpan.FromSeconds(2)), deferrals: 0);
        Assert.Equal(TimeSpan.FromSeconds(2), wait);
        Assert.Equal(0, pacing.TryAcquire(10, [], out var retryIn));
        Assert.Equal(TimeSpan.FromSeconds(2), retryIn);
        _time.Advance(TimeSpan.FromSeconds(2));
        // Nothing was accepted before the refusal: the learned rate is its floor of one a second, with a burst of two.
        Assert.Equal(2, pacing.TryAcquire(10, [], out _));
        Assert.Equal(0, pacing.TryAcquire(10, [], out retryIn));
        Assert.Equal(1, retryIn.TotalSeconds, 6); // two taken at once: the next is due one interval after the burst's tolerance
        Assert.Contains("learned rate 1", pacing.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pause_is_capped_by_MaxRetryAfter_and_shared()
    {
        var pacing = Pacing(maxRetryAfter: TimeSpan.FromMinutes(1));
        var shared = new List<TimeSpan>();
        pacing.SharedPause = shared.Add;
        Assert.Equal(TimeSpan.FromMinutes(1), pacing.OnRefused(new RetryAfterException(TimeSpan.FromMinutes(10)), 0));
        Assert.Equal([TimeSpan.FromMinutes(1)], shared);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, pacing.TryAcquire(1, [], out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, pacing.TryAcquire(1, [], out _));
    }

    [Fact]
    public void An_unadvised_refusal_backs_off_longer_each_time_and_refusals_within_one_backoff_are_one_signal()
    {
        var pacing = Pacing();
        var bare = new RetryAfterException(TimeSpan.Zero) { IsAdvised = false };
        var first = pacing.OnRefused(bare, 0);
        Assert.InRange(first.TotalMilliseconds, 150, 200);
        _time.Advance(first / 2);
        Assert.Equal((first / 2).TotalMilliseconds, pacing.OnRefused(bare, 0).TotalMilliseconds, tolerance: 0.01);
        _time.Advance(first);
        Assert.InRange(pacing.OnRefused(bare, 0).TotalMilliseconds, 300, 400);
        _time.Advance(TimeSpan.FromSeconds(1));
        pacing.OnSucceeded(); // a success ends the streak
        Assert.InRange(pacing.OnRefused(bare, 0).TotalMilliseconds, 150, 200);
    }

    [Fact]
    public void A_concurrency_refusal_lowers_the_concurrency_below_what_was_in_flight_and_retries_soon()
    {
        var pacing = Pacing(adaptive: true);
        var wait = pacing.OnRefused(new RetryAfterException(TimeSpan.FromSeconds(30)) { Kind = ProviderRefusalKind.Concurrency, InFlightAtSend = 4 }, 0);
        Assert.InRange(wait.TotalMilliseconds, 37.5, 50);
        Assert.Equal(3, pacing.Concurrency);
        Assert.Equal(1, pacing.TryAcquire(1, [], out _)); // no pause: other handlers' slots free up
    }

    [Fact]
    public void A_refusal_charged_to_a_limit_group_waits_the_group_pause_without_pausing_the_worker()
    {
        var pacing = Pacing();
        var refusal = new RetryAfterException(TimeSpan.FromSeconds(9)) { GroupWait = TimeSpan.FromSeconds(3) };
        Assert.Equal(TimeSpan.FromSeconds(3), pacing.OnRefused(refusal, 0));
        Assert.Equal(1, pacing.TryAcquire(1, [], out _));
    }
}
