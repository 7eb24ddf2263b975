using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>RateLimitOptions.Pacing (issue 12): a window's budget spent at once, or spread evenly over it.</summary>
public class PacingOptionTests
{
    private static async Task<double[]> StartOffsetsAsync(RatePacing pacing)
    {
        using var db = new TempDatabase();
        var starts = new ConcurrentQueue<long>();
        await using var tem = db.Open(o =>
        {
            o.Concurrency = 20;
            o.RateLimit = new RateLimitOptions { Windows = { new RateLimitWindow(10, TimeSpan.FromSeconds(1)) }, Pacing = pacing };
        }, TemHandlerRegistry.Create(w => w.Register(Types.Echo, (p, _, _) =>
        {
            starts.Enqueue(Stopwatch.GetTimestamp());
            return ValueTask.FromResult(new EchoResult(p.N, ""));
        })));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(10));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        var ordered = starts.Order().ToArray();
        return ordered.Select(s => Stopwatch.GetElapsedTime(ordered[0], s).TotalSeconds).ToArray();
    }

    [Fact]
    public async Task Burst_spends_the_windows_budget_at_once_and_Even_spreads_it_over_the_window()
    {
        var burst = await StartOffsetsAsync(RatePacing.Burst);
        Assert.True(burst[^1] < 0.5, $"burst: the 10th start came {burst[^1]:0.000} s after the first");

        var even = await StartOffsetsAsync(RatePacing.Even);
        // One start every 100 ms: the 10th comes 0.9 s after the first (generous below for timer slack, no upper bound needed).
        Assert.True(even[^1] >= 0.8, $"even: the 10th start came {even[^1]:0.000} s after the first");
        var gaps = even.Zip(even.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(gaps.Min() >= 0.05, $"even: two starts only {gaps.Min():0.000} s apart");
    }

    [Fact]
    public void An_undefined_pacing_value_is_refused_with_its_name()
    {
        using var db = new TempDatabase();
        var ex = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.RateLimit = new RateLimitOptions { Pacing = (RatePacing)7 }));
        Assert.Equal("RateLimitOptions.Pacing is 7, which is not a RatePacing value; use Burst or Even.", ex.Message);
    }
}
