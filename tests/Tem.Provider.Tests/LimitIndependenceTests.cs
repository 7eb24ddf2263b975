using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// Issue 22, item 3: a refusal is charged to the limit that caused it, and the other limits keep their pace. The
/// simulator binds on requests (20 a second, refilled continuously) while the token limit has plenty of room; before
/// limit groups, a 429 on the exhausted requests limit was charged to the tokens limit too, which then spread starts
/// at its learned refill (about 4 a second: 128 s for an ideal 25 s with Anthropic's headers, the same 5x with
/// OpenAI's <c>x-ratelimit-reset-tokens: 1s</c>).
/// </summary>
[Collection(nameof(ProviderTests))]
public sealed class LimitIndependenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-limits-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(HeaderStyle.Anthropic)]
    [InlineData(HeaderStyle.OpenAi)]
    public async Task A_requests_limit_refusal_leaves_the_token_pace_alone(HeaderStyle headers)
    {
        const int count = 200;
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 20,
            TokensPerMinute = 20 * 16 * 20, // twenty times what 20 requests a second of 16 tokens take
            Window = TimeSpan.FromSeconds(1),
            Replenishment = Replenishment.Continuous,
            Headers = headers,
            HiddenRequestsPerSecond = 15, // enforced over one-second windows below the advertised 20: 429s on requests
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o => o.Concurrency = 16, Enumerable.Range(0, count).Select(i => new Prompt(i, 16)));

        var c = simulator.Counters;
        var ideal = count / 15.0;
        var ratio = c.Span.TotalSeconds / ideal;
        output.WriteLine($"ROW | {headers}: requests bind, tokens have room | refusals {c.Refused} of {c.Requests} ({(double)c.Refused / c.Requests:P1}) | provider busy {c.Span.TotalSeconds:0.00} s / ideal {ideal:0.00} s = {ratio:0.00} | {run.Pacing}");
        Assert.Equal(new BatchStats(0, 0, count, 0, 0), run.Stats);
        Assert.Empty(run.TaskIdsServedTwice);
        var group = Assert.Single(run.Groups!);
        var tokens = Assert.Single(group.Limits, l => l.Name == "tokens");
        Assert.True(c.RateLimited > 0, "the hidden limit refused nothing: the test did not exercise a requests refusal");
        Assert.True(Assert.Single(group.Limits, l => l.Name == "requests").Refusals > 0, "no refusal was charged to the requests limit");
        Assert.Equal(0, tokens.Refusals);
        // The defect this guards against spread starts 5x too slowly (128 s for an ideal 25 s). Unloaded runs measure
        // 1.03-1.22x; on two cores at load 9-11 the OpenAI variant measured 1.8-2.4x (the requests limit's learned
        // refill drops after refusals that arrival jitter causes), so the bound here is 3x: it still fails the defect.
        Assert.True(ratio <= 3.0, $"provider busy {c.Span.TotalSeconds:0.00} s for an ideal {ideal:0.00} s: the token limit slowed the starts");
    }
}
