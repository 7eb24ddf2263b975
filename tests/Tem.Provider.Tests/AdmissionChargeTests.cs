using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// Issue 22's token row: tokens bind under per-second enforcement while only a request limit is configured. OpenAI
/// charges a chat request its prompt + max_tokens at admission, while the usage body reports the (smaller) output the
/// model actually wrote; a client that learns its charge from usage alone runs ahead of the token limit. Tem charges
/// a request what the provider does: the prompt estimate + max_tokens read from the request, or the fall of
/// <c>x-ratelimit-remaining-tokens</c> between responses when that is more.
/// </summary>
[Collection(nameof(ProviderTests))]
public sealed class AdmissionChargeTests(ITestOutputHelper output) : IDisposable
{
    private const int Count = 300;
    private const int MaxTokens = 41; // + a prompt of 9 tokens: 50 a request at admission, 40 a second of 2,000
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-charge-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    public static TheoryData<string> Enforcements => ["advertised per second", "advertised per minute, enforced per second"];

    [Theory]
    [MemberData(nameof(Enforcements))]
    public async Task Tokens_binding_under_per_second_enforcement_with_only_a_request_limit_configured_refuse_under_5_percent(string enforcement)
    {
        var perSecond = enforcement == "advertised per second";
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = perSecond ? 100 : 6000,
            TokensPerMinute = perSecond ? 2000 : 120_000,
            Window = perSecond ? TimeSpan.FromSeconds(1) : TimeSpan.FromMinutes(1),
            Replenishment = Replenishment.Continuous,
            HiddenTokensPerSecond = perSecond ? null : 2000,
            ReportedOutputShare = 0.25, // usage says 11 output tokens; admission charged 41
        });
        var run = await ProviderRunner.RunAsync(_folder, simulator, o =>
        {
            o.Concurrency = 16;
            o.RateLimit = new RateLimitOptions { PerSecond = 100 }; // the only limit the user configured; it never binds
        }, Enumerable.Range(0, Count).Select(i => new Prompt(i, MaxTokens)), chatModel: "gpt-4o-mini");

        var c = simulator.Counters;
        var share = (double)c.Refused / c.Requests;
        var ideal = (Count * 50 - 2000) / 2000.0; // a full second's 2,000 at once, then 2,000 a second
        output.WriteLine($"ROW | tokens bind ({enforcement}), usage reports a quarter of max_tokens, only PerSecond 100 configured | refusals {c.Refused} of {c.Requests} ({share:P1}) | "
            + $"provider busy {c.Span.TotalSeconds:0.00} s / ideal {ideal:0.00} s = {c.Span.TotalSeconds / ideal:0.00} | {run.Pacing}");
        Assert.Equal(new BatchStats(0, 0, Count, 0, 0), run.Stats);
        Assert.Equal(Count, c.Served);
        Assert.Empty(run.TaskIdsServedTwice);
        var group = Assert.Single(run.Groups!, g => g.Group.Model == "gpt-4o-mini"); // the other is the warm-up's GET /health
        Assert.InRange(group.TokensPerRequest, 30, 60); // learned from the falls of remaining-tokens (43-51 measured), not the usage body's 20 (9 + a quarter of 41)
        Assert.Equal(0, Assert.Single(group.Limits, l => l.Name == "requests").Refusals); // the body names tokens per min: not charged to requests
        Assert.True(share < 0.05, $"{share:P1} refused");
        Assert.True(c.Span.TotalSeconds <= 1.6 * ideal, $"provider busy {c.Span.TotalSeconds:0.00} s for an ideal {ideal:0.00} s");
    }
}
