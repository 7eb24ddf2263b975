using System.Globalization;
using System.Text.RegularExpressions;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.AI.Tests;

/// <summary>
/// Issue 25's sample flags as a user runs them: <c>--price</c> and <c>--max-cost</c> on the real samples, the simulator
/// reporting the usage it charges. Classify asks 16 output tokens of "small", rewrite 64 of "large".
/// </summary>
public sealed partial class SampleSpendTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-ai-spend-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GeneratedRegex(@"^batch (?<code>[a-z-]+): (?<status>\w+), completed (?<completed>\d+), failed 0, pending (?<pending>\d+), spent \$(?<spent>\d+\.\d{2,}) of \$(?<max>\d+\.\d{2,})$")]
    private static partial Regex SpendLine();

    [Theory]
    [InlineData("openai")]
    [InlineData("meai")]
    [InlineData("anthropic")]
    public async Task Max_cost_stops_the_sample_at_its_budget_and_a_higher_one_finishes_it_with_the_spend_on_the_last_line(string client)
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { Headers = client == "anthropic" ? HeaderStyle.Anthropic : HeaderStyle.OpenAi });
        var db = Path.Combine(_folder, "tem.db");
        string[] prices = ["--price", "small=1000/2000", "--price", "large=1000/2000"]; // $0.001 an input token, $0.002 an output token
        var first = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", 20, db, ["--models", "small,large", .. prices, "--max-cost", "0.50"]);
        output.WriteLine(first.LastLine);
        Assert.True(first.ExitCode == 0, first.Error);
        var stopped = SpendLine().Match(first.LastLine);
        Assert.True(stopped.Success, first.LastLine);
        Assert.Equal("interrupted", stopped.Groups["status"].Value);
        Assert.Equal("0.50", stopped.Groups["max"].Value);
        var spent = decimal.Parse(stopped.Groups["spent"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(Cost(simulator), spent);
        Assert.InRange(spent, 0.30m, 0.50m); // no call of at most $0.15 more would have fit

        var second = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", 20, db, ["--models", "small,large", .. prices, "--max-cost", "10"]);
        output.WriteLine(second.LastLine);
        var done = SpendLine().Match(second.LastLine);
        Assert.True(done.Success, second.LastLine);
        Assert.Equal(("completed", "20", "0", "10.00"), (done.Groups["status"].Value, done.Groups["completed"].Value, done.Groups["pending"].Value, done.Groups["max"].Value));
        Assert.Equal(Cost(simulator), decimal.Parse(done.Groups["spent"].Value, CultureInfo.InvariantCulture));
        Assert.All(simulator.Counters.ServedDocuments.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Without_the_flags_the_last_line_is_the_old_one_and_a_bad_price_says_what_is_wrong()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions());
        var run = await SampleProcess.RunAsync("openai", simulator.BaseAddress, "key", 4, Path.Combine(_folder, "plain.db"), "--models", "small,large");
        Assert.Equal("batch openai-sample: completed, completed 4, failed 0, pending 0", run.LastLine);

        var bad = await SampleProcess.RunAsync("openai", simulator.BaseAddress, "key", 4, Path.Combine(_folder, "bad.db"), "--price", "small=cheap");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--price 'small=cheap' must be MODEL=IN/OUT in US dollars per 1M tokens, such as gpt-4o-mini=0.15/0.60", bad.Error);
    }

    /// <summary>What the simulator served, at the prices given: output is 16 tokens a "small" call and 64 a "large" one, the rest of its token count input.</summary>
    private static decimal Cost(ProviderSimulator.ProviderSimulator simulator)
    {
        var byModel = simulator.Counters.ServedByModel;
        var outputTokens = (byModel.GetValueOrDefault("small") * 16L) + (byModel.GetValueOrDefault("large") * 64L);
        return new ModelPrice(1000m, 2000m).CostOf(new TokenUsage(simulator.Counters.TokensServed - outputTokens, 0, outputTokens));
    }
}
