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
            o.RateLimit = new RateLimitOptions { Windows = { new RateLimitWindow(10, TimeSpan.FromSeconds(2)) }, Pacing = pacing };
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
        Assert.True(burst[^1] < 1.0, $"burst: the 10th start came {burst[^1]:0.000} s after the first");

        var even = await StartOffsetsAsync(RatePacing.Even);
        // One start every 200 ms: the 10th comes 1.8 s after the first (no upper bound needed: slower is still even).
        Assert.True(even[^1] >= 1.6, $"even: the 10th start came {even[^1]:0.000} s after the first");
        var gaps = even.Zip(even.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(gaps.Min() >= 0.1, $"even: two starts only {gaps.Min():0.000} s apart");
    }

    [Fact]
    public void An_undefined_pacing_value_is_refused_with_its_name()
    {
        using var db = new TempDatabase();
        var ex = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.RateLimit = new RateLimitOptions { Pacing = (RatePacing)7 }));
        Assert.Equal("RateLimitOptions.Pacing is 7, which is not a RatePacing value; use Burst or Even.", ex.Message);
    }
}

/// <summary>Refusal kinds reach the attempt history, where issue 14's provider-trouble criteria count them apart.</summary>
public class RefusalKindTests
{
    [Fact]
    public async Task Overloads_and_concurrency_refusals_are_recorded_apart_from_rate_limits_and_use_no_attempt()
    {
        using var db = new TempDatabase();
        var calls = 0;
        await using var tem = db.Open(o => o.Concurrency = 1, TemHandlerRegistry.Create(w => w.Register(Types.Echo, (p, _, _) =>
            Interlocked.Increment(ref calls) switch
            {
                1 => throw new RetryAfterException(TimeSpan.FromMilliseconds(20)),
                2 => throw new ProviderOverloadedException(TimeSpan.FromMilliseconds(20)),
                3 => throw new RetryAfterException(TimeSpan.FromMilliseconds(20)) { Kind = ProviderRefusalKind.Concurrency },
                _ => ValueTask.FromResult(new EchoResult(p.N, "")),
            })));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal((TemTaskStatus.Completed, 1), (task.Status, task.Attempt));
        var outcomes = (await tem.Tasks.GetAttemptsAsync(id)).Select(a => a.Outcome).Take(3).ToArray();
        Assert.Equal([TaskAttemptOutcome.Deferred, TaskAttemptOutcome.Overloaded, TaskAttemptOutcome.Overloaded], outcomes);
    }
}
