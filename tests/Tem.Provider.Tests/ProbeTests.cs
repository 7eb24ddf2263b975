using System.Net.Http.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>Limit discovery against simulated providers with and without headers, within its budget.</summary>
[Collection(nameof(ProviderTests))]
public sealed class ProbeTests(ITestOutputHelper output)
{
    private static ProviderLimitProbe Probe(HttpClient http, Uri url, int budget) => new(http, () => new HttpRequestMessage(HttpMethod.Post, url)
    {
        Content = JsonContent.Create(new CompletionRequest("ping", 1), ProviderJson.Default.CompletionRequest),
    })
    { Budget = budget, MaxConcurrency = 32 };

    private void Show(DiscoveredLimits found)
    {
        output.WriteLine($"rate {found.RequestsPerSecond:0.##}/s, concurrency {found.Concurrency}, confidence {found.Confidence}, used {found.RequestsUsed}, " +
            $"per second {found.RateLimit.PerSecond}, per minute {found.RateLimit.PerMinute}, windows {string.Join(", ", found.RateLimit.Windows)}, tokens/min {found.RateLimit.TokensPerMinute}");
        foreach (var note in found.Notes)
        {
            output.WriteLine("  " + note);
        }
    }

    [Fact]
    public async Task With_headers_the_limits_are_read_and_only_concurrency_is_probed()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 40,
            TokensPerMinute = 6000,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            MaxConcurrentRequests = 8,
            MinLatency = TimeSpan.FromMilliseconds(40),
            MaxLatency = TimeSpan.FromMilliseconds(60),
        });
        using var http = new HttpClient();
        var found = await Probe(http, simulator.CompletionsAddress, budget: 60).ProbeAsync();
        Show(found);

        Assert.True(found.Advertised);
        Assert.InRange(found.RequestsPerSecond!.Value, 32, 48);
        Assert.InRange(found.TokensPerSecond!.Value, 4800, 7200);
        Assert.InRange(found.Concurrency!.Value, 7, 9);
        Assert.InRange(found.RateLimit.PerSecond!.Value, 32, 48);
        Assert.InRange(found.RequestsUsed, 1, 60);
        Assert.True(simulator.Counters.Requests <= 60);
        Assert.Equal(0, simulator.Counters.RateLimited);
        Assert.True(found.Confidence >= 0.7, $"confidence {found.Confidence}");
    }

    [Theory]
    [InlineData(HeaderStyle.OpenAi)]
    [InlineData(HeaderStyle.Anthropic)]
    public async Task Full_headers_of_a_sliding_window_give_its_limit_per_second_not_the_deficit_over_the_reset(HeaderStyle headers)
    {
        // Issue 22: 20 requests/s over a sliding window, full limit/remaining/reset headers. The reset of a sliding
        // window is about the window whatever is missing, so "missing ÷ time until full" said 2/s and (20, 10 s).
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 20,
            TokensPerMinute = 100_000,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.SlidingWindow,
            Headers = headers,
            MinLatency = TimeSpan.FromMilliseconds(10),
            MaxLatency = TimeSpan.FromMilliseconds(20),
        });
        using var http = new HttpClient();
        var found = await Probe(http, simulator.CompletionsAddress, budget: 60).ProbeAsync();
        Show(found);

        Assert.True(found.Advertised);
        Assert.InRange(found.RequestsPerSecond!.Value, 18, 22);
        Assert.Equal(20, found.RateLimit.PerSecond);
        Assert.Empty(found.RateLimit.Windows);
        Assert.InRange(found.TokensPerSecond!.Value, 90_000, 110_000);
        Assert.True(simulator.Counters.Requests <= 60);
    }

    [Fact]
    public async Task Without_headers_the_rate_and_concurrency_limits_are_measured_within_20_percent()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 50,
            Window = TimeSpan.FromSeconds(1),
            Headers = HeaderStyle.None,
            MaxConcurrentRequests = 16,
            MinLatency = TimeSpan.FromMilliseconds(40),
            MaxLatency = TimeSpan.FromMilliseconds(60),
        });
        using var http = new HttpClient();
        var found = await Probe(http, simulator.CompletionsAddress, budget: 300).ProbeAsync();
        Show(found);

        Assert.False(found.Advertised);
        Assert.InRange(found.RequestsPerSecond!.Value, 40, 60);
        Assert.InRange(found.Concurrency!.Value, 13, 19);
        Assert.InRange(found.RateLimit.PerSecond!.Value, 40, 60);
        Assert.True(simulator.Counters.Requests <= 300, $"{simulator.Counters.Requests} requests");
        Assert.Equal(simulator.Counters.Requests, found.RequestsUsed);
    }

    [Fact]
    public async Task The_budget_is_never_exceeded_and_bad_endpoints_and_settings_are_named()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 1000,
            Window = TimeSpan.FromSeconds(1),
            Headers = HeaderStyle.None,
        });
        using var http = new HttpClient();
        var found = await Probe(http, simulator.CompletionsAddress, budget: 12).ProbeAsync();
        Show(found);
        Assert.Equal(12, simulator.Counters.Requests);
        Assert.Equal(12, found.RequestsUsed);
        Assert.Null(found.RequestsPerSecond);
        Assert.Contains(found.Notes, n => n.Contains("no 429", StringComparison.Ordinal));
        Assert.True(found.Confidence < 0.5);

        var missing = await Assert.ThrowsAsync<TemException>(() => Probe(http, new Uri(simulator.BaseAddress, "v1/nothing-here"), 10).ProbeAsync());
        Assert.Equal("The endpoint answered 404 to the probe request. Check the URL, the method, the headers (an API key?) and the body.", missing.Message);
        var tooSmall = await Assert.ThrowsAsync<TemConfigurationException>(() => Probe(http, simulator.CompletionsAddress, 1).ProbeAsync());
        Assert.Contains("Budget is 1; it must be at least 2", tooSmall.Message);
    }
}
