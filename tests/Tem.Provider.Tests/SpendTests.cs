using System.Collections.Concurrent;
using System.Text;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// Issue 25: a batch's cost budget against the loopback simulator, which reports the usage it charges. Each call asks
/// for 10 output tokens; its prompt is "doc-N".
/// </summary>
public sealed class SpendTests(ITestOutputHelper output) : IDisposable
{
    private const int OutputTokens = 10;
    private static readonly ModelPrice Small = new(InputPerMillion: 1000m, OutputPerMillion: 2000m); // $0.001 and $0.002 a token
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-spend-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_cost_budget_stops_the_batch_at_it_fails_nothing_and_raised_and_resumed_completes_with_cost_exact_from_the_providers_counts()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions());
        var served = new ConcurrentDictionary<int, int>();
        await using var tem = Open(simulator, served);
        var batch = await tem.Batches.CreateAsync("budget", "llm");
        await tem.Batches.SetBudgetAsync(batch.Id, new BatchBudget { MaxCost = 0.50m });
        await tem.Tasks.EnqueueManyAsync(batch.Id, ProviderRunner.Complete, Enumerable.Range(1, 60).Select(i => new Prompt(i, OutputTokens)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);

        var interruption = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        output.WriteLine($"{stats}; {interruption.Reason}");
        Assert.Equal(InterruptionKind.Budget, interruption.Kind);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(60, stats.Completed + stats.Pending);
        Assert.InRange(stats.Completed, 20, 25); // each call costs $0.021-0.022
        Assert.Matches(@"^The batch's budget is reached: spent \$0\.\d+ of \$0\.50, \$0\.\d+ left, and the next call needs up to \$0\.023 \(model 'small'\)\. Raise it with Batches\.SetBudgetAsync, then call Batches\.ResumeAsync to carry on\.$", interruption.Reason);

        var spend = await tem.Batches.GetSpendAsync(batch.Id);
        Assert.Equal(simulator.Counters.TokensServed, spend.Tokens); // what the provider counted, every token
        Assert.Equal(Expected(simulator), spend.Cost);
        Assert.True(spend.Cost <= 0.50m, $"spent {spend.Cost}");
        Assert.Equal(0, spend.ReservedTokens);

        await tem.Batches.SetBudgetAsync(batch.Id, new BatchBudget { MaxCost = 5m });
        await tem.Batches.ResumeAsync(batch.Id);
        Assert.Equal(new BatchStats(0, 0, 60, 0, 0), await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token));
        Assert.Equal(60, simulator.Counters.Served); // a call the budget refused never left
        Assert.All(served.Values, n => Assert.Equal(1, n));
        spend = await tem.Batches.GetSpendAsync(batch.Id);
        Assert.Equal(Expected(simulator), spend.Cost);
        var line = Assert.Single(spend.Lines);
        Assert.Equal(("complete", "small", 60L, 600L), (line.TaskType, line.Model, line.Calls, line.OutputTokens));
    }

    /// <summary>The cost of what the simulator served: its token count less 10 output tokens a call at the input price, the output at the output price.</summary>
    private static decimal Expected(ProviderSimulator.ProviderSimulator simulator)
    {
        var outputTokens = simulator.Counters.Served * OutputTokens;
        return Small.CostOf(new TokenUsage(simulator.Counters.TokensServed - outputTokens, 0, outputTokens));
    }

    private TemEngine Open(ProviderSimulator.ProviderSimulator simulator, ConcurrentDictionary<int, int> served)
    {
        var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = Path.Combine(_folder, $"tem-{Guid.NewGuid():N}.db"),
            Concurrency = 4,
            PollInterval = TimeSpan.FromMilliseconds(100),
            Prices = new Dictionary<string, ModelPrice> { ["small"] = Small },
        });
        var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        tem.Worker.Register(ProviderRunner.Complete, async (prompt, _, ct) =>
        {
            var body = $$"""{"model":"small","messages":[{"role":"user","content":"doc-{{prompt.N}}"}],"max_tokens":{{prompt.Tokens}}}""";
            using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            response.EnsureSuccessStatusCode();
            served.AddOrUpdate(prompt.N, 1, (_, n) => n + 1);
            return new Completion("ok", prompt.Tokens);
        });
        return tem;
    }
}
