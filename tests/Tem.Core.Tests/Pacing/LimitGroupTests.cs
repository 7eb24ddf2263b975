using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>LimitGroup on a held clock: permits granted as calls leave, paced by what the group's responses advertised.</summary>
public class LimitGroupTests
{
    private readonly HeldClock _time = new();

    private LimitGroup Group(RateLimitOptions? configured = null)
        => new(LimitGroupKey.Named("test"), configured, new ProviderLimitsOptions(), _time);

    private static async Task<ProviderCallPermit> Acquire(LimitGroup group, long inputTokens = 0)
    {
        var permit = new ProviderCallPermit(group, new CallCost(inputTokens, 0));
        await group.AcquireAsync(permit, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        return permit;
    }

    [Fact]
    public async Task An_exhausted_advertised_limit_paces_calls_at_its_learned_refill()
    {
        var group = Group();
        var first = await Acquire(group);
        // 98 of 100 missing, full in 9.8 s: about 10 a second; 2 left, one kept in hand.
        group.Observe(first, new AdvertisedLimits(new AdvertisedLimit(100, 2, TimeSpan.FromSeconds(9.8)), null));
        var second = await Acquire(group);
        Assert.Equal(2, second.InFlightAtSend);
        var third = new ProviderCallPermit(group, default);
        var waiting = group.AcquireAsync(third, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(90));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(20)); // one request refills in 1 / 9.95 s
        await waiting.WaitAsync(HeldClock.Deadline);
        Assert.True(third.Granted);
    }

    [Fact]
    public async Task A_refusal_pauses_the_group_for_its_retry_after_and_is_recorded()
    {
        var group = Group();
        var permit = await Acquire(group);
        var refusal = new RetryAfterException(TimeSpan.FromSeconds(2));
        group.OnRefused(permit, refusal, body: null);
        Assert.Equal(group.Key, refusal.ChargedTo);
        Assert.Equal(TimeSpan.FromSeconds(2), refusal.GroupWait);
        var snapshot = group.Snapshot();
        Assert.Equal(1, snapshot.Refusals);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(2), snapshot.PausedUntil);
        var next = group.AcquireAsync(new ProviderCallPermit(group, default), CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(1_990));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(20));
        await next.WaitAsync(HeldClock.Deadline);
    }

    [Fact]
    public async Task A_refusal_is_charged_only_to_the_limit_its_headers_show_exhausted()
    {
        var group = Group();
        var permit = await Acquire(group, inputTokens: 100);
        group.Observe(permit, new AdvertisedLimits(
            Requests: new AdvertisedLimit(100, 50, TimeSpan.FromSeconds(5)),
            Tokens: new AdvertisedLimit(10_000, 0, TimeSpan.FromSeconds(60))));
        group.OnRefused(permit, new RetryAfterException(TimeSpan.FromSeconds(1)), body: null);
        var limits = group.Snapshot().Limits.ToDictionary(l => l.Name);
        Assert.Equal(1, limits["tokens"].Refusals);
        Assert.Equal(0, limits["requests"].Refusals);
    }

    [Fact]
    public async Task Configured_windows_hold_even_when_nothing_is_advertised()
    {
        var group = Group(new RateLimitOptions { PerSecond = 2, SafetyMargin = TimeSpan.Zero });
        await Acquire(group);
        await Acquire(group);
        var third = group.AcquireAsync(new ProviderCallPermit(group, default), CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(990));
        Assert.False(third.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(20));
        await third.WaitAsync(HeldClock.Deadline);
        Assert.Equal(3, group.Snapshot().Requests);
    }
}
