using System.Text.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Cli.Tests;

/// <summary><c>tem probe</c> as a separate process against the loopback provider simulator.</summary>
public sealed class ProbeCommandTests
{
    [Fact]
    public async Task Probe_reports_advertised_limits_and_the_concurrency_cap_within_its_budget()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 30,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            MaxConcurrentRequests = 4,
            MinLatency = TimeSpan.FromMilliseconds(40),
            MaxLatency = TimeSpan.FromMilliseconds(60),
        });
        var (exit, text, err) = await CliTests.Tem("probe", simulator.CompletionsAddress.ToString(), "--header", "Authorization: Bearer test", "--budget", "40", "--max-concurrency", "16");
        Assert.True(exit == 0, err);
        Assert.Contains("rate limits   advertised by the provider", text);
        Assert.Matches(@"concurrency\s+4\b", text);
        Assert.Contains("Concurrency = 4,", text);
        Assert.Matches(@"RateLimit = new RateLimitOptions \{ PerSecond = (2[4-9]|3[0-6]) \}", text);
        Assert.True(simulator.Counters.Requests <= 40, $"{simulator.Counters.Requests} requests");

        (exit, text, err) = await CliTests.Tem("probe", simulator.CompletionsAddress.ToString(), "--budget", "40", "--max-concurrency", "16", "--json");
        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(4, json.RootElement.GetProperty("concurrency").GetInt32());
        Assert.InRange(json.RootElement.GetProperty("requestsPerSecond").GetDouble(), 24, 36);
        Assert.True(json.RootElement.GetProperty("advertised").GetBoolean());
    }

    [Fact]
    public async Task Probe_reads_20_per_second_from_the_full_headers_of_a_sliding_window()
    {
        // Issue 22: this endpoint made tem probe say 2 per second and RateLimitWindow(20, 10 s).
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 20,
            TokensPerMinute = 100_000,
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.SlidingWindow,
        });
        var (exit, text, err) = await CliTests.Tem("probe", simulator.CompletionsAddress.ToString(), "--budget", "60", "--max-concurrency", "16");
        Assert.True(exit == 0, err);
        Assert.Contains("RateLimit = new RateLimitOptions { PerSecond = 20", text);
        Assert.DoesNotContain("TimeSpan.FromSeconds(10)", text);
    }

    [Fact]
    public async Task Probe_names_a_bad_url_header_or_endpoint_in_one_line()
    {
        var (exit, _, err) = await CliTests.Tem("probe", "not a url");
        Assert.Equal(1, exit);
        Assert.Equal("tem: 'not a url' is not an http or https URL.", err.Trim());

        (exit, _, err) = await CliTests.Tem("probe", "http://127.0.0.1:9/", "--header", "no-colon");
        Assert.Equal(1, exit);
        Assert.Equal("tem: --header 'no-colon' is not 'Name: value'; write it like --header 'Authorization: Bearer sk-...'.", err.Trim());

        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions());
        (exit, _, err) = await CliTests.Tem("probe", new Uri(simulator.BaseAddress, "v1/missing").ToString(), "--budget", "5");
        Assert.Equal(1, exit);
        Assert.Equal("tem: The endpoint answered 404 to the probe request. Check the URL, the method, the headers (an API key?) and the body.", err.Trim());
    }
}
