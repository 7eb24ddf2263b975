// Tem quick start: 300 simulated LLM calls under a concurrency bound and a rate limit. Run it twice: the second
// run enqueues nothing new (idempotency keys) and only finishes what a killed first run left.
//   dotnet run --project samples/Tem.Samples.Quickstart -c Release -- [--db tem-quickstart.db] [--count 300]
using Quickstart; // TemTasks and TemHandlers are generated into the namespace named after the assembly
using Tem;

var db = Arg("--db") ?? "tem-quickstart.db";
var count = int.Parse(Arg("--count") ?? "300", System.Globalization.CultureInfo.InvariantCulture);
var model = new SimulatedModel();

await using var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = db,
    Concurrency = 16,
    RateLimit = new RateLimitOptions { PerSecond = 100 },
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(2) },
}, TemHandlers.CreateRegistry(() => new Rewriter(model))); // a factory per handler class, called once per task

var batch = await tem.Batches.GetOrCreateAsync("quickstart", "rewrite-docs");
var added = await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Rewrite,
    Enumerable.Range(0, count).Select(i => new RewritePayload($"doc-{i:D5}", $"Draft text of document {i}.")),
    payload => new EnqueueOptions { IdempotencyKey = payload.DocumentId });
var resumed = await tem.Batches.ResumeAsync(batch.Id); // tasks a killed earlier run left running
Console.WriteLine($"Enqueued {added.Inserted} new tasks, {added.Skipped} already there; {resumed} resumed.");

// Ctrl-C stops gracefully: running tasks finish and are written, the rest stay pending for the next run.
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = !stopping.IsCancellationRequested; stopping.Cancel(); }; // twice: exit now

await tem.Worker.StartAsync();
try
{
    await tem.WaitForBatchAsync(batch.Id, stopping.Token);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.WriteLine("Stopping: letting running tasks finish; run again to carry on.");
}

await tem.Worker.StopAsync();
var stats = await tem.Batches.GetStatsAsync(batch.Id);
Console.WriteLine($"Batch '{batch.Code}': {stats.Completed} completed, {stats.Failed} failed, {stats.Pending} pending of {stats.Total}.");
foreach (var failed in await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = TemTaskStatus.Failed, Limit = 3 }))
{
    Console.WriteLine($"  task {failed.Id} failed after {failed.Attempt} attempt(s): {failed.Error}");
}

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
