// Tem through a provider's batch API (issue 24): one LLM task type, routed live, through the batch API at half the
// price, or Auto (batch API for first attempts, live for the rest). Re-run with the same --db to resume a killed run.
//   dotnet run --project samples/Tem.Samples.BatchApi -c Release -- --base-url http://127.0.0.1:8080 --api-key KEY --count 1000 --db batch.db --provider openai --route batch
using Tem;
using Tem.Samples.BatchApi;

BatchApiArguments arguments;
try
{
    arguments = BatchApiArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"Tem.Samples.BatchApi: {ex.Message}");
    return 2;
}

var model = arguments.Provider == LlmProvider.OpenAI ? "gpt-4o-mini" : "claude-haiku-4-5";
var endpoint = new LlmEndpoint(arguments.Provider, arguments.BaseUrl, arguments.ApiKey)
{
    PollInterval = TimeSpan.FromMilliseconds(200),
    MaxPollInterval = TimeSpan.FromSeconds(2),
};
await using var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = arguments.Database,
    Concurrency = 16,
    LeaseDuration = TimeSpan.FromSeconds(5), // a killed run's provider batch is taken over within seconds
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(2) },
});
tem.Worker.RegisterLlm(Summarize.Type, new Summarize(model), endpoint);

var batch = await tem.Batches.GetOrCreateAsync("batch-api-sample", "documents");
await tem.Batches.ResumeAsync(batch.Id); // a killed run's tasks return (those inside a provider batch stay there)
await tem.Batches.SetRouteAsync(batch.Id, arguments.Route);
await tem.Tasks.EnqueueManyAsync(batch.Id, Summarize.Type, Enumerable.Range(1, arguments.Count).Select(n => new DocumentPayload(n)),
    payload => new EnqueueOptions { IdempotencyKey = $"doc-{payload.Number}" });

await tem.Worker.StartAsync();
var stats = await tem.WaitForBatchAsync(batch.Id);
await tem.Worker.StopAsync();
batch = await tem.Batches.GetAsync(batch.Id);
var providerBatches = await tem.Batches.ListProviderBatchesAsync(batch.Id);
Console.WriteLine($"batch {batch.Code}: {batch.Status.ToString().ToLowerInvariant()}, completed {stats.Completed}, failed {stats.Failed}, pending {stats.Pending}, provider batches {providerBatches.Count}");
return 0;
