using System.Diagnostics;
using System.Net.Http.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// Issue 22, item 3: a provider that sends <c>remaining</c> and <c>reset</c> but no <c>limit</c> header still says
/// "nothing left until the reset" with <c>remaining: 0</c>; the next request must wait for that reset instead of
/// being sent into a 429.
/// </summary>
[Collection(nameof(ProviderTests))]
public sealed class RemainingWithoutLimitTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(HeaderStyle.OpenAi)]
    [InlineData(HeaderStyle.Anthropic)]
    public async Task Remaining_zero_without_a_limit_header_makes_the_next_request_wait_for_the_reset(HeaderStyle headers)
    {
        var window = TimeSpan.FromSeconds(2);
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 4,
            Window = window,
            Replenishment = Replenishment.SlidingWindow,
            Headers = headers,
            SendLimitHeader = false,
        });
        var limits = new ProviderLimits();
        using var http = new HttpClient(new ProviderRateLimitHandler(limits) { InnerHandler = new SocketsHttpHandler() });
        var clock = Stopwatch.StartNew();
        var refused = 0;
        for (var i = 0; i < 8; i++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(simulator.CompletionsAddress, new CompletionRequest($"doc-{i}", 1), ProviderJson.Default.CompletionRequest);
                response.EnsureSuccessStatusCode();
            }
            catch (RetryAfterException)
            {
                refused++;
            }
        }

        output.WriteLine($"{simulator.Counters.Requests} requests, {simulator.Counters.RateLimited} refused, {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(0, simulator.Counters.RateLimited);
        Assert.Equal(0, refused);
        Assert.Equal(8, simulator.Counters.Requests);
        // Two windows' worth: the fifth request waited for the first reset.
        Assert.True(clock.Elapsed >= window * 0.9, $"8 requests took {clock.Elapsed.TotalSeconds:0.00} s; the window is {window.TotalSeconds} s");
    }
}
