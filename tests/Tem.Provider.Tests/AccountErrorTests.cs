using System.Collections.Concurrent;
using System.Net.Http.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>Quota spent and wrong keys, answered by a real provider over loopback HTTP through Tem's handler.</summary>
public sealed class AccountErrorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-account-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(HeaderStyle.OpenAi, InterruptionKind.Quota)]
    [InlineData(HeaderStyle.Anthropic, InterruptionKind.Billing)]
    public async Task A_spent_quota_interrupts_at_once_fails_nothing_and_resumes_to_every_task_once(HeaderStyle style, InterruptionKind kind)
    {
        var account = new SimulatedAccount { QuotaAfter = 50, Style = style };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { Headers = style, Account = account });
        var completions = new ConcurrentDictionary<int, int>();
        await using var tem = Open(simulator, "key", completions);
        var batch = await tem.Batches.CreateAsync("quota", "llm");
        await tem.Tasks.EnqueueManyAsync(batch.Id, ProviderRunner.Complete, Enumerable.Range(0, 300).Select(i => new Prompt(i, 10)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        output.WriteLine($"{style}: {account.QuotaRefusals} quota refusals before the interruption; {stats}");
        var interruption = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        Assert.Equal(kind, interruption.Kind);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(50, stats.Completed);
        Assert.Equal(250, stats.Pending);
        Assert.InRange(account.QuotaRefusals, 1, 16 + 5);

        account.QuotaAfter = null; // credit added
        await tem.Batches.ResumeAsync(batch.Id);
        Assert.Equal(new BatchStats(0, 0, 300, 0, 0), await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token));
        Assert.Equal(300, account.Served); // one served request per task, no more
        Assert.Equal(300, completions.Count);
        Assert.All(completions.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task A_wrong_key_interrupts_with_Credentials_and_uses_no_attempt()
    {
        var account = new SimulatedAccount { ApiKey = "right" };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { Account = account });
        await using var tem = Open(simulator, "wrong", new ConcurrentDictionary<int, int>());
        var batch = await tem.Batches.CreateAsync("key", "llm");
        await tem.Tasks.EnqueueManyAsync(batch.Id, ProviderRunner.Complete, Enumerable.Range(0, 100).Select(i => new Prompt(i, 10)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        var interruption = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        Assert.Equal(InterruptionKind.Credentials, interruption.Kind);
        Assert.Contains("the API key was refused", interruption.Reason);
        Assert.Contains("invalid_api_key", interruption.Reason);
        Assert.Equal(new BatchStats(100, 0, 0, 0, 0), stats);
        Assert.InRange(account.KeyRefusals, 1, 16 + 5);
    }

    private TemEngine Open(ProviderSimulator.ProviderSimulator simulator, string key, ConcurrentDictionary<int, int> completions)
    {
        var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = Path.Combine(_folder, $"tem-{Guid.NewGuid():N}.db"),
            Concurrency = 16,
            PollInterval = TimeSpan.FromMilliseconds(100),
        });
        var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        tem.Worker.Register(ProviderRunner.Complete, async (prompt, _, ct) =>
        {
            using var response = await http.PostAsJsonAsync("v1/completions", new CompletionRequest($"doc-{prompt.N}", prompt.Tokens), ProviderJson.Default.CompletionRequest, ct);
            response.EnsureSuccessStatusCode();
            completions.AddOrUpdate(prompt.N, 1, (_, n) => n + 1);
            return new Completion("ok", prompt.Tokens);
        });
        return tem;
    }
}
