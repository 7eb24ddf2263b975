using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Conformance;

/// <summary>The grant statements of limits shared under a name (<see cref="RateLimitOptions.SharedName"/>), on every store.</summary>
public abstract partial class StoreConformanceTests
{
    private static SharedRateLimit Shared(string name, long permits, TimeSpan window, long tokens = 0)
        => new(name, [new SharedWindow(permits, (long)window.TotalMilliseconds)], tokens > 0 ? [new SharedWindow(tokens, (long)window.TotalMilliseconds)] : []);

    [Fact]
    public async Task Shared_starts_are_granted_up_to_the_window_then_none_with_the_time_until_room()
    {
        var limit = Shared("account", 3, TimeSpan.FromMinutes(1));
        var first = await Store.AcquireSharedStartsAsync(limit, 2, null, None);
        Assert.Equal((2, TimeSpan.Zero), (first.Granted, first.RetryIn));
        Assert.Equal(1, (await Store.AcquireSharedStartsAsync(limit, 5, null, None)).Granted);
        var refused = await Store.AcquireSharedStartsAsync(limit, 1, null, None);
        Assert.Equal(0, refused.Granted);
        // The oldest grant leaves the window a minute after it was made: a little less than a minute from now.
        Assert.InRange(refused.RetryIn, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(2));
        // Another name is another limit.
        Assert.Equal(3, (await Store.AcquireSharedStartsAsync(limit with { Name = "other-account" }, 3, null, None)).Granted);
    }

    [Fact]
    public async Task A_start_given_back_from_a_stale_grant_makes_room_for_a_fresh_one()
    {
        var limit = Shared("account", 2, TimeSpan.FromMinutes(1));
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b")], None);
        var claim = await Store.ClaimSharedAsync(limit, "w", ["t"], default, 5, Lease, None);
        Assert.Equal(2, claim.Tasks.Count);
        Assert.Equal(0, (await Store.AcquireSharedStartsAsync(limit, 1, null, None)).Granted);
        var renewed = await Store.AcquireSharedStartsAsync(limit, 1, claim.GrantedAtMs, None);
        Assert.Equal(1, renewed.Granted);
        Assert.True(renewed.GrantedAtMs >= claim.GrantedAtMs);
        Assert.Equal(0, (await Store.AcquireSharedStartsAsync(limit, 1, null, None)).Granted); // given back once, not twice
    }

    [Fact]
    public async Task Every_window_must_have_room_and_the_wait_is_for_the_tightest()
    {
        var limit = new SharedRateLimit("account", [new SharedWindow(5, 60_000), new SharedWindow(2, 400)], []);
        Assert.Equal(2, (await Store.AcquireSharedStartsAsync(limit, 10, null, None)).Granted);
        var refused = await Store.AcquireSharedStartsAsync(limit, 10, null, None);
        Assert.Equal(0, refused.Granted);
        Assert.InRange(refused.RetryIn, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(402));

        // The short window slides: once its grants have left it, the long one still caps the total at 5.
        var granted = 2L;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (granted < 5 && DateTime.UtcNow < deadline)
        {
            var grant = await Store.AcquireSharedStartsAsync(limit, 10, null, None);
            granted += grant.Granted;
            Assert.InRange(grant.Granted, 0, 2);
            await Task.Delay(grant.Granted == 0 ? grant.RetryIn : TimeSpan.Zero);
        }

        Assert.Equal(5, granted);
        var capped = await Store.AcquireSharedStartsAsync(limit, 10, null, None);
        Assert.Equal(0, capped.Granted);
        Assert.True(capped.RetryIn > TimeSpan.FromSeconds(30), $"The minute window should hold the next start back for most of a minute, not {capped.RetryIn}.");
    }

    [Fact]
    public async Task A_shared_claim_takes_no_more_tasks_than_granted_and_counts_only_the_tasks_it_took()
    {
        var limit = Shared("account", 5, TimeSpan.FromMinutes(1));
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a"), Row("b")], None);
        var first = await Store.ClaimSharedAsync(limit, "w1", ["t"], default, 10, Lease, None);
        Assert.Equal(["a", "b"], first.Tasks.Select(t => t.Payload));
        Assert.Equal(TimeSpan.Zero, first.RetryIn); // the window still has room: only the tasks ran out

        await Store.EnqueueAsync(batch, "t", Enumerable.Range(0, 10).Select(i => Row($"n{i}")).ToList(), None);
        var second = await Store.ClaimSharedAsync(limit, "w2", ["t"], default, 10, Lease, None);
        Assert.Equal(3, second.Tasks.Count); // 5 in the window, 2 used by the first claim
        Assert.True(second.RetryIn > TimeSpan.FromSeconds(30), $"The window is full after the claim: RetryIn should say when it has room, not {second.RetryIn}.");
        var third = await Store.ClaimSharedAsync(limit, "w1", ["t"], default, 10, Lease, None);
        Assert.Empty(third.Tasks);
        Assert.True(third.RetryIn > TimeSpan.FromSeconds(30), $"RetryIn was {third.RetryIn}.");
        Assert.Equal(7, (await Store.GetStatsAsync(batch, None)).Pending);
    }

    [Fact]
    public async Task Shared_tokens_are_granted_whole_or_not_at_all()
    {
        var limit = Shared("account", 100, TimeSpan.FromMinutes(1), tokens: 1000);
        Assert.Equal(600, (await Store.ReserveSharedTokensAsync(limit, 600, None)).Granted);
        var refused = await Store.ReserveSharedTokensAsync(limit, 600, None);
        Assert.Equal(0, refused.Granted);
        Assert.InRange(refused.RetryIn, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(2));
        Assert.Equal(400, (await Store.ReserveSharedTokensAsync(limit, 400, None)).Granted);
        Assert.Equal(0, (await Store.ReserveSharedTokensAsync(limit, 1, None)).Granted);
        Assert.Equal(100, (await Store.AcquireSharedStartsAsync(limit, 100, null, None)).Granted); // starts have windows of their own
    }

    [Fact]
    public async Task A_shared_pause_holds_back_starts_on_every_handle_of_the_database_until_it_ends()
    {
        var limit = Shared("account", 100, TimeSpan.FromMinutes(1), tokens: 1000);
        await using var other = await OpenStoreAsync(); // a second handle on the same database, as another process has
        await other.PauseSharedAsync(limit, TimeSpan.FromMinutes(2), None);
        await other.PauseSharedAsync(limit, TimeSpan.FromSeconds(1), None); // a shorter pause does not cut the longer one
        var paused = await Store.AcquireSharedStartsAsync(limit, 1, null, None);
        Assert.Equal(0, paused.Granted);
        // RetryIn is the pause's end + 1 ms (a start may go once the pause is strictly past): when the pause and the ask
        // fall in the same millisecond it is exactly 2 min + 1 ms.
        Assert.InRange(paused.RetryIn, TimeSpan.FromSeconds(100), TimeSpan.FromMinutes(2) + TimeSpan.FromMilliseconds(1));
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        Assert.Empty((await Store.ClaimSharedAsync(limit, "w", ["t"], default, 1, Lease, None)).Tasks);
        Assert.Equal(10, (await Store.ReserveSharedTokensAsync(limit, 10, None)).Granted); // a pause holds starts, not tokens

        var brief = limit with { Name = "brief" };
        await other.PauseSharedAsync(brief, TimeSpan.FromMilliseconds(300), None);
        var first = await Store.AcquireSharedStartsAsync(brief, 1, null, None);
        Assert.Equal(0, first.Granted);
        Assert.InRange(first.RetryIn, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(301));
        var started = DateTime.UtcNow;
        var grant = first;
        while (grant.Granted == 0 && DateTime.UtcNow - started < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(grant.RetryIn);
            grant = await Store.AcquireSharedStartsAsync(brief, 1, null, None);
        }

        Assert.Equal(1, grant.Granted); // the pause ended on its own
    }

    [Fact]
    public async Task Two_handles_on_one_database_share_one_window()
    {
        var limit = Shared("account", 4, TimeSpan.FromMinutes(1));
        await using var other = await OpenStoreAsync();
        Assert.Equal(3, (await Store.AcquireSharedStartsAsync(limit, 3, null, None)).Granted);
        Assert.Equal(1, (await other.AcquireSharedStartsAsync(limit, 3, null, None)).Granted);
        Assert.Equal(0, (await Store.AcquireSharedStartsAsync(limit, 1, null, None)).Granted);
    }

    [Fact]
    public async Task Concurrent_grants_never_exceed_the_window()
    {
        var limit = Shared("account", 50, TimeSpan.FromMinutes(1));
        await using var other = await OpenStoreAsync();
        var grants = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
            (await (i % 2 == 0 ? Store : other).AcquireSharedStartsAsync(limit, 3, null, None)).Granted)));
        Assert.Equal(50, grants.Sum());
    }
}
