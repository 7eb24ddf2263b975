using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// The rows of issue 12's table, each against a simulator that follows the providers' published semantics, scaled
/// down to per-second limits so each run takes a few seconds. "Ideal" is requests ÷ the provider's real limit, less
/// what a continuously refilled bucket holds at the start; it is compared with how long the provider was busy (first
/// request to last answer), which leaves out the engine's own start-up and completion, not pacing's doing.
/// Bounds are generous for a loaded two-core machine; bench/RESULTS.md has the measured figures.
/// </summary>
[Collection(nameof(ProviderTests))]
public sealed class PacingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-pacing-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static IEnumerable<Prompt> Prompts(int count, int tokens = 16) => Enumerable.Range(0, count).Select(i => new Prompt(i, tokens));

    private void AssertAllOnce(ProviderRun run, ProviderSimulator.ProviderSimulator simulator, int count)
    {
        Assert.Equal(new BatchStats(0, 0, count, 0, 0), run.Stats);
        Assert.Equal(count, simulator.Counters.Served);
        Assert.Empty(run.TaskIdsServedTwice);
    }

    private double Report(string row, ProviderRun run, ProviderSimulator.ProviderSimulator simulator, double idealSeconds)
    {
        var c = simulator.Counters;
        var share = (double)c.Refused / c.Requests;
        var ratio = c.Span.TotalSeconds / idealSeconds;
        output.WriteLine($"ROW | {row} | refusals {c.Refused} of {c.Requests} ({share:P1}: 429 {c.RateLimited}, concurrency {c.ConcurrencyRefused}, 529 {c.Overloaded}) | provider busy {c.Span.TotalSeconds:0.00} s / ideal {idealSeconds:0.00} s = {ratio:0.00} (engine start to batch done {run.Elapsed.TotalSeconds:0.00} s) | {run.Pacing}");
        return share;
    }

    [Fact]
    public async Task Configured_at_three_times_the_limits_with_adaptive_on_refusals_stay_under_3_percent()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 200,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            MaxConcurrentRequests = 20,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o =>
        {
            o.Concurrency = 60;
            o.AdaptiveConcurrency = true;
            o.RateLimit = new RateLimitOptions { PerSecond = 600 };
        }, Prompts(2000));

        var share = Report("configured at 3x the limits, adaptive on", run, simulator, (2000 - 200) / 200.0);
        AssertAllOnce(run, simulator, 2000);
        Assert.True(share < 0.03, $"{share:P1} refused");
    }

    [Fact]
    public async Task Nothing_configured_against_per_second_enforcement_refusals_under_5_percent_within_115_percent_of_ideal()
    {
        // Advertised: 3,000 a minute, refilled continuously; enforced: 50 in any second.
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 3000,
            Window = TimeSpan.FromMinutes(1),
            Replenishment = Replenishment.Continuous,
            HiddenRequestsPerSecond = 50,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Prompts(300));

        var share = Report("no limits configured, per-second enforcement", run, simulator, 300 / 50.0);
        AssertAllOnce(run, simulator, 300);
        Assert.True(share < 0.05, $"{share:P1} refused");
        Assert.True(simulator.Counters.Span.TotalSeconds <= 1.15 * 300 / 50.0, $"provider busy {simulator.Counters.Span.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Anthropic_headers_alone_pace_a_batch_with_under_3_percent_refusals()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 40,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            Headers = HeaderStyle.Anthropic,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Prompts(250));

        var ideal = (250 - 40) / 40.0;
        var share = Report("Anthropic headers only, no limits configured", run, simulator, ideal);
        AssertAllOnce(run, simulator, 250);
        Assert.True(share < 0.03, $"{share:P1} refused");
        // Issue 22's target is 1.15 x ideal (measured 1.01-1.03, bench/RESULTS.md); the bound leaves room for a loaded CI.
        Assert.True(simulator.Counters.Span.TotalSeconds <= 1.5 * ideal, $"provider busy {simulator.Counters.Span.TotalSeconds:0.00} s for an ideal {ideal:0.00} s");
    }

    [Fact]
    public async Task A_binding_token_limit_is_learned_when_only_request_limits_are_configured()
    {
        // 100 requests a second configured and allowed, but 2,000 tokens a second at 50 a request admit only 40.
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 100,
            TokensPerMinute = 2000,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o =>
        {
            o.Concurrency = 16;
            o.RateLimit = new RateLimitOptions { PerSecond = 100 };
        }, Prompts(200, tokens: 50));

        var share = Report("token limit binds, only request limits configured", run, simulator, (200 - 40) / 40.0);
        AssertAllOnce(run, simulator, 200);
        Assert.True(share < 0.05, $"{share:P1} refused");
    }

    [Fact]
    public async Task Refusals_without_retry_after_or_headers_back_off_and_learn_a_rate()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 50,
            Window = TimeSpan.FromSeconds(1),
            Headers = HeaderStyle.None,
            SendRetryAfter = false,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Prompts(250));

        var share = Report("429 with no Retry-After and no headers", run, simulator, 250 / 50.0);
        AssertAllOnce(run, simulator, 250);
        Assert.True(share < 0.10, $"{share:P1} refused");
        Assert.True(simulator.Counters.Span.TotalSeconds <= 1.6 * 250 / 50.0, $"provider busy {simulator.Counters.Span.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task A_concurrency_cap_lowers_concurrency_instead_of_pausing_the_worker()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            MaxConcurrentRequests = 16,
            MinLatency = TimeSpan.FromMilliseconds(90),
            MaxLatency = TimeSpan.FromMilliseconds(110),
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 64, Prompts(500));

        var ideal = 500 * 0.100 / 16;
        Report("provider caps concurrency at 16", run, simulator, ideal);
        AssertAllOnce(run, simulator, 500);
        Assert.InRange(run.EffectiveConcurrency, 8, 20);
        // No worker-wide pause: the provider saw its cap's worth at once, and the window settled near the cap.
        Assert.True(simulator.Counters.PeakInFlight >= 16, $"at most {simulator.Counters.PeakInFlight} at once");
        // The bound is 1.2 × ideal, met at an ordinary load (1.08–1.19 here); each slot is held until its
        // outcome is written, which a machine at load 20 stretches (1.25–1.37 seen), so the test allows 1.5.
        Assert.True(simulator.Counters.Span.TotalSeconds <= 1.5 * ideal, $"provider busy {simulator.Counters.Span.TotalSeconds:0.00} s, ideal {ideal:0.00} s");
    }

    [Fact]
    public async Task Bursts_of_529_overloaded_fail_no_task()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            OverloadFrom = TimeSpan.FromMilliseconds(300),
            OverloadFor = TimeSpan.FromSeconds(3),
            OverloadShare = 0.5,
        });
        // MaxRateLimitDeferrals at its default: an overload waits like a 429, within that bound.
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Prompts(600), maxRateLimitDeferrals: new TemOptions().MaxRateLimitDeferrals);

        Report("3 s of 50% 529 overloaded", run, simulator, 1);
        Assert.True(simulator.Counters.Overloaded > 20, $"only {simulator.Counters.Overloaded} overloads: the burst did not happen");
        AssertAllOnce(run, simulator, 600);
    }

    [Fact]
    public async Task Limits_halved_mid_run_are_adopted_within_a_second()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 80,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            ScaleLimitsAfter = TimeSpan.FromSeconds(1.5),
            LimitScale = 0.5,
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Prompts(360));

        // 80 at once plus 80 a second for 1.5 s, then the last 160 at 40 a second; judged from 1 s after the halving.
        var after = simulator.Counters.Answers.Where(a => a.At >= TimeSpan.FromSeconds(2.5)).ToArray();
        var refusedAfter = after.Count(a => a.Status is 429 or 503 or 529);
        Report("limits halved mid-run", run, simulator, 1.5 + ((360 - 200) / 40.0));
        output.WriteLine($"after the halving + 1 s: {refusedAfter} of {after.Length} refused");
        AssertAllOnce(run, simulator, 360);
        Assert.True(after.Length > 50, $"only {after.Length} requests after the halving");
        Assert.True(refusedAfter < 0.05 * after.Length, $"{refusedAfter} of {after.Length} refused after the halving");
    }
}
