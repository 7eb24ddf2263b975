using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// RateLimitOptions.SharedName: two engines on one SQLite file (standing in for two processes; the multi-process
/// tests are in Tem.Reliability.Tests and Tem.PostgreSql.Tests) keep one set of windows between them.
/// </summary>
public class SharedRateLimitTests
{
    [Theory]
    [InlineData("", "RateLimitOptions.SharedName is \"\"; a shared limit needs a name of 1 to 200 characters without leading or trailing spaces, such as the provider account's. Set it to null to keep the limits in this process.")]
    [InlineData(" account", "RateLimitOptions.SharedName is \" account\"; a shared limit needs a name of 1 to 200 characters without leading or trailing spaces, such as the provider account's. Set it to null to keep the limits in this process.")]
    public void A_bad_shared_name_is_refused_with_what_to_do(string name, string message)
    {
        using var db = new TempDatabase();
        var ex = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.RateLimit = new RateLimitOptions { PerSecond = 5, SharedName = name }));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void A_shared_name_without_windows_and_a_negative_margin_are_refused()
    {
        using var db = new TempDatabase();
        var empty = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.RateLimit = new RateLimitOptions { SharedName = "account" }));
        Assert.Equal("RateLimitOptions.SharedName is \"account\" but no window is set, so there is nothing to share. Set PerSecond, PerMinute, Windows, TokensPerMinute or TokenWindows.", empty.Message);
        var margin = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.RateLimit = new RateLimitOptions { PerSecond = 1, SharedName = "a", SharedGrantMargin = TimeSpan.FromSeconds(-1) }));
        Assert.StartsWith("RateLimitOptions.SharedGrantMargin is -00:00:01; it must be between zero and one minute", margin.Message);
    }

    [Fact]
    public async Task Two_engines_sharing_5_per_second_start_at_most_5_in_any_second_between_them()
    {
        // Each engine alone would start 5 per second, 10 between them: the shared window halves that.
        var starts = await RunTwoEnginesAsync(15, new RateLimitOptions { PerSecond = 5, SharedName = "account" }, (_, _) => ValueTask.CompletedTask);
        Assert.Equal(15, starts.Count);
        Assert.InRange(MaxInAnyWindow(starts, TimeSpan.FromSeconds(1)), 1, 5);
    }

    [Fact]
    public async Task Two_engines_sharing_a_token_window_reserve_at_most_its_tokens_in_any_window_between_them()
    {
        // 1,000 tokens per second and 400 per task: two reservations per second between both engines, not two each.
        var limits = new RateLimitOptions { TokenWindows = { new RateLimitWindow(1000, TimeSpan.FromSeconds(1)) }, SharedName = "account" };
        var reserved = await RunTwoEnginesAsync(6, limits, (context, ct) => context.ReserveTokensAsync(400, ct));
        Assert.Equal(6, reserved.Count);
        Assert.InRange(MaxInAnyWindow(reserved, TimeSpan.FromSeconds(1)), 1, 2);
    }

    /// <summary>Runs <paramref name="count"/> tasks on two engines sharing one file; returns when each handler got past <paramref name="before"/>.</summary>
    private static async Task<List<long>> RunTwoEnginesAsync(int count, RateLimitOptions limits, Func<TaskContext, CancellationToken, ValueTask> before)
    {
        using var db = new TempDatabase();
        var times = new ConcurrentQueue<long>();
        var registry = Types.EchoRegistry(async (p, context, ct) =>
        {
            await before(context, ct);
            times.Enqueue(Stopwatch.GetTimestamp());
            return new EchoResult(p.N, "");
        });
        await using var first = db.Open(o => { o.Concurrency = 8; o.RateLimit = limits; }, registry);
        await using var second = db.Open(o => { o.Concurrency = 8; o.RateLimit = limits; }, registry);
        var batch = await first.Batches.CreateAsync("shared", "t");
        await first.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(count));
        await first.Worker.StartAsync();
        await second.Worker.StartAsync();
        var stats = await first.WaitForBatchAsync(batch.Id, Types.Timeout(60));
        Assert.Equal(count, stats.Completed);
        return [.. times.Order()];
    }

    private static int MaxInAnyWindow(List<long> sorted, TimeSpan window)
    {
        var length = (long)(window.TotalSeconds * Stopwatch.Frequency);
        var best = 0;
        for (int i = 0, end = 0; i < sorted.Count; i++)
        {
            while (end < sorted.Count && sorted[end] < sorted[i] + length)
            {
                end++;
            }

            best = Math.Max(best, end - i);
        }

        return best;
    }
}
