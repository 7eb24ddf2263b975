using Microsoft.Extensions.Logging;
using Tem.Execution;
using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>
/// SharedRateGate on a held clock over real SQLite stores on one file (two engines sharing a limit): token windows
/// and pauses are granted by the store on the same held clock.
/// </summary>
public sealed class SharedRateGateTests : IAsyncDisposable
{
    private readonly HeldClock _time = new();
    private readonly TempDatabase _db = new();
    private readonly List<ITemStore> _stores = [];
    private readonly RecordingLogger _log = new();

    private static TemOptions Options(RateLimitOptions limits) => new() { DatabasePath = "unused.db", RateLimit = limits };

    private ITemStore Store()
    {
        var store = SqliteTemStore.Open(new SqliteStoreOptions { Path = _db.Path }, _time);
        _stores.Add(store);
        return store;
    }

    private SharedRateGate Gate(ITemStore store, RateLimitOptions limits)
        => SharedRateGate.For(store, Options(limits), _time, _log) ?? throw new InvalidOperationException("no shared gate");

    [Fact]
    public async Task Shared_token_windows_make_a_second_engine_wait_until_the_first_engines_tokens_slide_out()
    {
        var limits = new RateLimitOptions { TokensPerMinute = 100, SharedName = "llm" };
        var first = Gate(Store(), limits);
        var second = Gate(Store(), limits);
        await first.ReserveTokensAsync(60, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        var waiting = second.ReserveTokensAsync(60, CancellationToken.None).AsTask();
        // Counted a minute plus the safety margin (10 ms) and the grant margin (250 ms).
        _time.Advance(TimeSpan.FromMilliseconds(60_200));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await waiting.WaitAsync(HeldClock.Deadline);
    }

    [Fact]
    public async Task A_pause_holds_every_engine_sharing_the_limit()
    {
        var limits = new RateLimitOptions { PerSecond = 10, SharedName = "llm" };
        var first = Gate(Store(), limits);
        var otherStore = Store();
        first.Pause(TimeSpan.FromSeconds(2));
        SharedGrant grant = default;
        await Types.Eventually(async () => (grant = await otherStore.AcquireSharedStartsAsync(first.Limit, 1, null, CancellationToken.None)).Granted == 0,
            "the other engine sees the pause");
        Assert.InRange(grant.RetryIn, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(2.1));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, (await otherStore.AcquireSharedStartsAsync(first.Limit, 1, null, CancellationToken.None)).Granted);
    }

    [Fact]
    public async Task A_pause_the_store_cannot_take_is_logged_not_thrown()
    {
        var store = Store();
        var gate = Gate(store, new RateLimitOptions { PerSecond = 10, SharedName = "llm" });
        await store.DisposeAsync();
        gate.Pause(TimeSpan.FromSeconds(2));
        await Types.Eventually(() => Task.FromResult(_log.Lines.Any(l => l.Level == LogLevel.Warning && l.Message.Contains(
            "Could not share a pause of 00:00:02 under the rate limit 'llm' with the other engines; this engine paused itself.", StringComparison.Ordinal))),
            "the warning");
    }

    [Fact]
    public void No_gate_when_the_limit_is_not_shared_and_no_retry_before_a_claim()
    {
        Assert.Null(SharedRateGate.For(Store(), Options(new RateLimitOptions { PerSecond = 10 }), _time, _log));
        Assert.Null(Gate(Store(), new RateLimitOptions { PerSecond = 10, SharedName = "llm" }).RetryIn());
    }

    [Fact]
    public void A_renewed_grant_is_logged_at_debug_with_its_task_and_age()
    {
        SharedRateLog.GrantRenewed(_log, 42, TimeSpan.FromMilliseconds(300));
        var (level, message) = Assert.Single(_log.Lines);
        Assert.Equal(LogLevel.Debug, level);
        Assert.Equal("Task 42 reached its handler 00:00:00.3000000 after its shared start was granted, later than the margin covers; it waits for a fresh grant.", message);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _db.Dispose();
    }
}
