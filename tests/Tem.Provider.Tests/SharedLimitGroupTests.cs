using System.Net.Http.Json;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>
/// Issue 22, item 2: a limit group configured with a <see cref="RateLimitOptions.SharedName"/> keeps its Retry-After
/// pause in the store, so every engine on the database waits it out, not only the one that was refused. Two engines
/// on one SQLite file stand for two processes: each has its own <see cref="ProviderLimits"/> and task type.
/// </summary>
[Collection(nameof(ProviderTests))]
public sealed class SharedLimitGroupTests : IDisposable
{
    private const string Group = "shared-account";
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-shared-group-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static ProviderLimits SharedLimits() => new(new ProviderLimitsOptions
    {
        Groups = { [Group] = new RateLimitOptions { PerSecond = 100, SharedName = "openai-account" } },
    });

    private static TemOptions Options(string database, ProviderLimits limits) => new()
    {
        DatabasePath = database,
        ProviderLimits = limits,
        Concurrency = 1,
        PollInterval = TimeSpan.FromMilliseconds(100),
        MaxRateLimitDeferrals = 1000,
    };

    private static void Register(TemEngine tem, TaskType<Prompt, Completion> type, HttpClient http, string model) => tem.Worker.Register(type, async (prompt, _, ct) =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new ChatCompletionBody(model, [new("user", $"doc-{prompt.N}")], 16), ProviderJson.Default.ChatCompletionBody),
        };
        request.Options.Set(ProviderRateLimitHandler.LimitGroupOption, Group);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return new Completion("ok", 16);
    });

    [Fact]
    public async Task A_Retry_After_in_one_engine_pauses_the_other_engine_on_the_same_file()
    {
        // 3 requests per 4 s and no limit headers: the 4th request is refused with a Retry-After of about 4 s.
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 3, Window = TimeSpan.FromSeconds(4), Headers = HeaderStyle.None,
        });
        var database = Path.Combine(_folder, "shared.db");
        var typeA = new TaskType<Prompt, Completion>("call-a", ProviderJson.Default.Prompt, ProviderJson.Default.Completion);
        var typeB = new TaskType<Prompt, Completion>("call-b", ProviderJson.Default.Prompt, ProviderJson.Default.Completion);
        var limitsA = SharedLimits();
        using var httpA = new HttpClient(new ProviderRateLimitHandler(limitsA) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        await using var a = TemEngine.Open(Options(database, limitsA));
        Register(a, typeA, httpA, "a");
        var batchA = await a.Batches.CreateAsync("a", "llm");
        await a.Tasks.EnqueueManyAsync(batchA.Id, typeA, Enumerable.Range(0, 4).Select(i => new Prompt(i, 16)));
        await a.Worker.StartAsync();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // Polled with a deadline: the refusal's pause is in the store, where every engine on the file can read it.
            while (!(await a.ListSharedLimitsAsync(deadline.Token)).Any(l => l.Name == "openai-account" && l.PausedUntil is not null)
                || !simulator.Counters.Answers.Any(x => x.Status == 429))
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        var refusedAt = simulator.Counters.Answers.First(x => x.Status == 429).At;

        // The second engine starts after the refusal: its own group has seen nothing, so only the store can hold it back.
        var limitsB = SharedLimits();
        using var httpB = new HttpClient(new ProviderRateLimitHandler(limitsB) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        await using var b = TemEngine.Open(Options(database, limitsB));
        Register(b, typeB, httpB, "b");
        var batchB = await b.Batches.CreateAsync("b", "llm");
        await b.Tasks.EnqueueAsync(batchB.Id, typeB, new Prompt(100, 16));
        await b.Worker.StartAsync();
        var statsB = await b.WaitForBatchAsync(batchB.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        var statsA = await a.WaitForBatchAsync(batchA.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(1, statsB.Completed);
        Assert.Equal(4, statsA.Completed);
        var firstB = simulator.Counters.ByModel["b"].First;
        // The pause is about 3.9 s from the refusal; without sharing, B's first request left within a few hundred ms.
        Assert.True(firstB - refusedAt >= TimeSpan.FromSeconds(2.5), $"engine B's first request reached the provider {(firstB - refusedAt).TotalSeconds:0.00} s after A's refusal");
        Assert.Equal(0, simulator.Counters.ByModel["b"].Refused);
    }
}
