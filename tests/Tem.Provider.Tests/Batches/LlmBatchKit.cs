using System.Text.Json;
using System.Text.Json.Serialization;
using Tem.ProviderSimulator.Batches;

namespace Tem.Provider.Tests.Batches;

/// <summary>One document; its prompt names it as doc-N (the simulator echoes it, so answers map back to documents).</summary>
public sealed record Doc(int N);

/// <summary>A task's result: the document, the answer, and the route it took.</summary>
public sealed record DocAnswer(int N, string Text, bool ViaProviderBatch);

[JsonSerializable(typeof(Doc))]
[JsonSerializable(typeof(DocAnswer))]
internal sealed partial class LlmTestJson : JsonSerializerContext;

/// <summary>The test LLM task: one short request per document, on one model.</summary>
internal sealed class DocTask(string model) : ILlmTask<Doc, DocAnswer>
{
    public static readonly TaskType<Doc, DocAnswer> Type = new("summarize", LlmTestJson.Default.Doc, LlmTestJson.Default.DocAnswer, maxAttempts: 6);

    public LlmRequest BuildRequest(Doc payload) => new(model, [LlmMessage.User($"doc-{payload.N}")], maxTokens: 16);

    public DocAnswer ReadResponse(Doc payload, LlmResponse response)
        => response.Text.EndsWith($" doc-{payload.N}", StringComparison.Ordinal)
            ? new(payload.N, response.Text, response.ViaProviderBatch)
            : throw new InvalidOperationException($"The answer to doc-{payload.N} is about something else: {response.Text}");
}

/// <summary>A simulator on loopback (chat and batch APIs), an engine on a real SQLite file, and the LLM task registered against it.</summary>
internal sealed class LlmBatchKit : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-llm-batch-").FullName;

    private LlmBatchKit(ProviderSimulator.ProviderSimulator simulator) => Simulator = simulator;

    public ProviderSimulator.ProviderSimulator Simulator { get; }

    public BatchApiCounters BatchCounters => Simulator.Batches.Counters;

    public TemEngine Tem { get; private set; } = null!;

    public string DatabasePath => Path.Combine(_folder, "tem.db");

    public static async Task<LlmBatchKit> StartAsync(LlmProvider provider, Action<BatchSimulatorOptions>? batches = null, Func<LlmEndpoint, LlmEndpoint>? endpoint = null)
    {
        var options = new ProviderSimulator.SimulatorOptions { MinLatency = TimeSpan.FromMilliseconds(1), MaxLatency = TimeSpan.FromMilliseconds(3) };
        batches?.Invoke(options.Batches);
        var kit = new LlmBatchKit(await ProviderSimulator.ProviderSimulator.StartAsync(options));
        var model = provider == LlmProvider.OpenAI ? "gpt-4o-mini" : "claude-haiku-4-5";
        var target = new LlmEndpoint(provider, kit.Simulator.BaseAddress, "sk-test") { PollInterval = TimeSpan.FromMilliseconds(100), MaxPollInterval = TimeSpan.FromMilliseconds(500) };
        kit.Tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = kit.DatabasePath,
            Concurrency = 16,
            LeaseDuration = TimeSpan.FromSeconds(5),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
        kit.Tem.Worker.RegisterLlm(DocTask.Type, new DocTask(model), endpoint?.Invoke(target) ?? target);
        return kit;
    }

    /// <summary>A batch of documents 1..<paramref name="count"/> on <paramref name="route"/>.</summary>
    public async Task<Batch> EnqueueAsync(LlmRoute route, int count, int from = 1, Batch? into = null)
    {
        var batch = into ?? await Tem.Batches.CreateAsync("docs-" + Guid.NewGuid().ToString("N")[..8], "docs");
        await Tem.Batches.SetRouteAsync(batch.Id, route);
        await Tem.Tasks.EnqueueManyAsync(batch.Id, DocTask.Type, Enumerable.Range(from, count).Select(n => new Doc(n)));
        return batch;
    }

    /// <summary>Every task of the batch, with its result read.</summary>
    public async Task<List<(TemTask Task, DocAnswer? Answer)>> ResultsAsync(long batchId)
    {
        var all = new List<(TemTask, DocAnswer?)>();
        long after = 0;
        while (true)
        {
            var page = await Tem.Tasks.ListAsync(new TaskQuery { BatchId = batchId, AfterId = after, Limit = 10_000 });
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page.Select(t => (t, t.ResultJson is null ? null : JsonSerializer.Deserialize(t.ResultJson, LlmTestJson.Default.DocAnswer))));
            after = page[^1].Id;
        }
    }

    /// <summary>Waits for the batch to end, within a generous deadline.</summary>
    public async Task<BatchStats> WaitAsync(long batchId, int seconds = 120)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await Tem.WaitForBatchAsync(batchId, deadline.Token);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {seconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Tem.DisposeAsync();
        await Simulator.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
