using System.Net.Http.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>The provider-trouble interruption criteria, fed by a real provider's refusals over loopback HTTP.</summary>
public sealed class ProviderTroubleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-trouble-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(BatchInterruption Interruption, BatchStats Stats)> RunAsync(SimulatorOptions provider, InterruptionCriteria criteria)
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(provider);
        await using var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = Path.Combine(_folder, $"tem-{Guid.NewGuid():N}.db"),
            Concurrency = 4,
            PollInterval = TimeSpan.FromMilliseconds(100),
            MaxRetryAfter = TimeSpan.FromMilliseconds(200),
            MaxRateLimitDeferrals = 1000,
        });
        using var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        tem.Worker.Register(ProviderRunner.Complete, async (prompt, _, ct) =>
        {
            using var response = await http.PostAsJsonAsync("v1/completions", new CompletionRequest($"prompt {prompt.N}", prompt.Tokens), ProviderJson.Default.CompletionRequest, ct);
            response.EnsureSuccessStatusCode();
            return new Completion("ok", prompt.Tokens);
        });
        var batch = await tem.Batches.CreateAsync("trouble", "llm", interruptionCriteria: criteria);
        await tem.Tasks.EnqueueManyAsync(batch.Id, ProviderRunner.Complete, Enumerable.Range(0, 200).Select(i => new Prompt(i, 10)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return ((await tem.Batches.GetInterruptionsAsync(batch.Id)).Single(), stats);
    }

    [Fact]
    public async Task A_provider_that_keeps_saying_429_interrupts_the_batch_on_MaxRateLimitHits()
    {
        var (interruption, stats) = await RunAsync(
            new SimulatorOptions { RequestsPerMinute = 5, Window = TimeSpan.FromMinutes(1), Headers = HeaderStyle.None },
            new InterruptionCriteria { MaxRateLimitHits = 3 });
        Assert.Equal(InterruptionKind.RateLimitHits, interruption.Kind);
        Assert.Contains("reaching MaxRateLimitHits = 3", interruption.Reason);
        Assert.Equal(0, stats.Failed); // refusals used no attempt
        Assert.True(stats.Pending > 150, $"pending {stats.Pending}");
    }

    [Fact]
    public async Task An_overloaded_provider_interrupts_the_batch_on_MaxOverloadErrors()
    {
        var (interruption, stats) = await RunAsync(
            new SimulatorOptions { OverloadFrom = TimeSpan.Zero, OverloadFor = TimeSpan.FromMinutes(5), OverloadShare = 1.0 },
            new InterruptionCriteria { MaxOverloadErrors = 3, MaxRateLimitHits = 1000 });
        Assert.Equal(InterruptionKind.Overload, interruption.Kind);
        Assert.Contains("reaching MaxOverloadErrors = 3", interruption.Reason);
        Assert.Equal(0, stats.Failed);
    }
}
