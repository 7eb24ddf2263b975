using Xunit;

namespace Tem.Provider.Tests.Batches;

/// <summary>
/// LLM tasks through each provider's batch API and live, on a real SQLite file and the simulator over loopback:
/// every task completes exactly once, whatever the route and whatever the provider says about single lines.
/// </summary>
public sealed class ProviderBatchRouteTests
{
    [Theory]
    [InlineData(LlmProvider.OpenAI)]
    [InlineData(LlmProvider.Anthropic)]
    public async Task A_thousand_tasks_through_the_batch_api_complete_exactly_once(LlmProvider provider)
    {
        await using var kit = await LlmBatchKit.StartAsync(provider, endpoint: e => new LlmEndpoint(e.Provider, e.BaseAddress, e.ApiKey)
        {
            MaxLinesPerBatch = 400, PollInterval = e.PollInterval, MaxPollInterval = e.MaxPollInterval,
        });
        var batch = await kit.EnqueueAsync(LlmRoute.ProviderBatch, 1_000);
        await kit.Tem.Worker.StartAsync();
        var stats = await kit.WaitAsync(batch.Id);

        Assert.Equal((1_000L, 0L, 0L), (stats.Completed, stats.Failed, stats.Pending));
        var results = await kit.ResultsAsync(batch.Id);
        Assert.All(results, r => Assert.True(r.Answer is { ViaProviderBatch: true } a && a.N == JsonN(r.Task)));
        Assert.Equal(1_000, results.Select(r => r.Answer!.N).Distinct().Count());
        Assert.Empty(kit.BatchCounters.SubmittedMoreThanOnce());
        Assert.Equal(1_000, kit.BatchCounters.DistinctSubmitted);
        Assert.Equal(3, kit.BatchCounters.BatchesCreated); // 400 + 400 + 200: the line limit splits files
        Assert.Equal(0, kit.Simulator.Counters.Requests); // nothing went live
        var providerBatches = await kit.Tem.Batches.ListProviderBatchesAsync(batch.Id);
        Assert.Equal(3, providerBatches.Count);
        Assert.All(providerBatches, p => Assert.Equal("done", p.State));
    }

    [Fact]
    public async Task Moving_a_running_batch_from_ProviderBatch_to_Live_finishes_the_rest_live_without_duplicates()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.OpenAI, b => b.LinesPerSecond = 100);
        var batch = await kit.EnqueueAsync(LlmRoute.ProviderBatch, 300);
        await kit.Tem.Worker.StartAsync();
        await LlmBatchKit.UntilAsync(async () => (await kit.Tem.Batches.ListProviderBatchesAsync(batch.Id)) is [{ State: "submitted" }], "the first provider batch is submitted");

        await kit.Tem.Batches.SetRouteAsync(batch.Id, LlmRoute.Live);
        await kit.EnqueueAsync(LlmRoute.Live, 300, from: 301, into: batch);
        var stats = await kit.WaitAsync(batch.Id);

        Assert.Equal((600L, 0L), (stats.Completed, stats.Failed));
        var results = await kit.ResultsAsync(batch.Id);
        Assert.Equal(300, results.Count(r => r.Answer!.ViaProviderBatch));
        Assert.Equal(300, results.Count(r => !r.Answer!.ViaProviderBatch));
        Assert.Equal(300, kit.BatchCounters.DistinctSubmitted);
        Assert.Equal(300, kit.Simulator.Counters.Served);
        Assert.All(kit.Simulator.Counters.ServedDocuments, d => Assert.Equal(1, d.Value)); // live: each document once
        Assert.All(results.Where(r => r.Answer!.ViaProviderBatch), r => Assert.True(r.Answer!.N <= 300));
    }

    [Fact]
    public async Task Under_Auto_lines_that_fail_in_the_batch_are_retried_live_and_each_task_completes_once()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.OpenAI, b => b.LineErrorRate = 0.2);
        var batch = await kit.EnqueueAsync(LlmRoute.Auto, 500);
        await kit.Tem.Worker.StartAsync();
        var stats = await kit.WaitAsync(batch.Id);

        Assert.Equal((500L, 0L), (stats.Completed, stats.Failed));
        var results = await kit.ResultsAsync(batch.Id);
        var live = results.Count(r => !r.Answer!.ViaProviderBatch);
        Assert.InRange(live, 50, 150); // ~20% of the lines failed and went live
        Assert.Equal(live, kit.Simulator.Counters.Served);
        Assert.Equal(500, kit.BatchCounters.DistinctSubmitted);
        Assert.Empty(kit.BatchCounters.SubmittedMoreThanOnce());
        Assert.All(results.Where(r => !r.Answer!.ViaProviderBatch), r => Assert.Equal(2, r.Task.Attempt));
    }

    [Fact]
    public async Task Under_ProviderBatch_failed_lines_go_into_a_later_provider_batch_with_their_next_attempt()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.Anthropic, b => b.LineErrorRate = 0.2);
        var batch = await kit.EnqueueAsync(LlmRoute.ProviderBatch, 300);
        await kit.Tem.Worker.StartAsync();
        var stats = await kit.WaitAsync(batch.Id);

        Assert.Equal((300L, 0L), (stats.Completed, stats.Failed));
        Assert.All(await kit.ResultsAsync(batch.Id), r => Assert.True(r.Answer!.ViaProviderBatch));
        Assert.True(kit.BatchCounters.BatchesCreated >= 2, $"retries need a later provider batch; {kit.BatchCounters.BatchesCreated} were created");
        Assert.Empty(kit.BatchCounters.SubmittedMoreThanOnce()); // a retry is a new attempt, so a new custom_id
        Assert.Equal(0, kit.Simulator.Counters.Requests);
    }

    [Fact]
    public async Task Lines_of_an_expired_provider_batch_are_re_routed_live_under_Auto()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.OpenAI, b => { b.LinesPerSecond = 100; b.ExpiresAfter = TimeSpan.FromSeconds(1); });
        var batch = await kit.EnqueueAsync(LlmRoute.Auto, 400);
        await kit.Tem.Worker.StartAsync();
        var stats = await kit.WaitAsync(batch.Id);

        Assert.Equal((400L, 0L), (stats.Completed, stats.Failed));
        var results = await kit.ResultsAsync(batch.Id);
        var live = results.Count(r => !r.Answer!.ViaProviderBatch);
        Assert.InRange(live, 100, 399); // the window passed before most lines ran
        Assert.Equal(live, kit.Simulator.Counters.Served);
    }

    [Fact]
    public async Task Cancelling_the_Tem_batch_cancels_its_provider_batch()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.OpenAI, b => b.LinesPerSecond = 20);
        var batch = await kit.EnqueueAsync(LlmRoute.ProviderBatch, 200);
        await kit.Tem.Worker.StartAsync();
        await LlmBatchKit.UntilAsync(async () => (await kit.Tem.Batches.ListProviderBatchesAsync(batch.Id)) is [{ State: "submitted" }], "the provider batch is submitted");

        await kit.Tem.Batches.CancelAsync(batch.Id);
        await LlmBatchKit.UntilAsync(() => Task.FromResult(kit.BatchCounters.Cancels == 1), "the provider batch is cancelled");
        await LlmBatchKit.UntilAsync(async () => (await kit.Tem.Batches.ListProviderBatchesAsync(batch.Id)) is [{ State: "done" }], "the submission is closed");
        var stats = await kit.Tem.Batches.GetStatsAsync(batch.Id);
        Assert.Equal((0L, 200L), (stats.Completed, stats.Cancelled));
    }

    [Fact]
    public async Task Routes_are_kept_per_batch_and_an_unknown_batch_is_refused_with_its_id()
    {
        await using var kit = await LlmBatchKit.StartAsync(LlmProvider.OpenAI);
        var batch = await kit.EnqueueAsync(LlmRoute.Auto, 1);
        Assert.Equal(LlmRoute.Auto, await kit.Tem.Batches.GetRouteAsync(batch.Id));
        var other = await kit.Tem.Batches.CreateAsync("other", "docs");
        Assert.Equal(LlmRoute.Live, await kit.Tem.Batches.GetRouteAsync(other.Id));

        var missing = await Assert.ThrowsAsync<BatchNotFoundException>(() => kit.Tem.Batches.SetRouteAsync(9_999, LlmRoute.ProviderBatch));
        Assert.Contains("No batch has id 9999", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_requests_and_endpoints_say_what_is_wrong()
    {
        Assert.Contains("needs a model", Assert.Throws<ArgumentException>(() => new LlmRequest(" ", [LlmMessage.User("x")], 8)).Message, StringComparison.Ordinal);
        Assert.Contains("at least one message", Assert.Throws<ArgumentException>(() => new LlmRequest("m", [], 8)).Message, StringComparison.Ordinal);
        Assert.Contains("maxTokens must be positive", Assert.Throws<ArgumentException>(() => new LlmRequest("m", [LlmMessage.User("x")], 0)).Message, StringComparison.Ordinal);
        Assert.Contains("absolute http or https", Assert.Throws<ArgumentException>(() => new LlmEndpoint(LlmProvider.OpenAI, new Uri("ftp://x/"), "k")).Message, StringComparison.Ordinal);
        Assert.Contains("API key is blank", Assert.Throws<ArgumentException>(() => new LlmEndpoint(LlmProvider.OpenAI, new Uri("http://x/"), "")).Message, StringComparison.Ordinal);
    }

    private static int JsonN(TemTask task) => System.Text.Json.JsonSerializer.Deserialize(task.PayloadJson, LlmTestJson.Default.Doc)!.N;
}
