// Tem quick start: a batch of simulated LLM calls, run under a concurrency bound and a per-second
// limit. Run it twice with the same code: the second run enqueues nothing new and finishes what is left.
//
//   dotnet run --project samples/Tem.Samples.Quickstart -c Release -- [--db tem-quickstart.db] [--code quickstart] [--count 300]

using System.Diagnostics;
using System.Text.Json.Serialization;
using Tem;

var db = Arg("--db") ?? "tem-quickstart.db";
var code = Arg("--code") ?? "quickstart";
var count = int.Parse(Arg("--count") ?? "300", System.Globalization.CultureInfo.InvariantCulture);

var rewrite = new TaskType<RewritePayload, RewriteResult>("rewrite", SampleJson.Default.RewritePayload, SampleJson.Default.RewriteResult, maxAttempts: 4);

await using var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = db,
    Concurrency = 16,
    RateLimit = new RateLimitOptions { PerSecond = 100 },
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(2) },
}, TemHandlerRegistry.Create(worker => worker.Register(rewrite, SimulatedLlm.RewriteAsync)));

var batch = await tem.Batches.GetOrCreateAsync(code, "rewrite-docs");
var added = await tem.Tasks.EnqueueManyAsync(
    batch.Id,
    rewrite,
    Enumerable.Range(0, count).Select(i => new RewritePayload($"doc-{i:D5}", $"Draft text of document {i}.")),
    payload => new EnqueueOptions { IdempotencyKey = payload.DocumentId });
var resumed = await tem.Batches.ResumeAsync(batch.Id); // tasks a killed earlier run left running

Console.WriteLine($"Batch '{batch.Code}' (id {batch.Id}) in {Path.GetFullPath(db)}");
Console.WriteLine($"Enqueued {added.Inserted} new tasks, {added.Skipped} already there; {resumed} resumed after an interrupted run.");

var clock = Stopwatch.StartNew();
await tem.Worker.StartAsync();
var stats = await tem.WaitForBatchAsync(batch.Id);
await tem.Worker.StopAsync();

Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:0.00} s: {stats.Completed} completed, {stats.Failed} failed, {stats.Pending} pending, {stats.Total} total.");
foreach (var failed in await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = TemTaskStatus.Failed, Limit = 5 }))
{
    Console.WriteLine($"  failed task {failed.Id} after {failed.Attempt} attempt(s): {failed.Error}");
}

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

/// <summary>What the handler gets: one document to rewrite.</summary>
public sealed record RewritePayload(string DocumentId, string Text);

/// <summary>What the handler returns, stored with the task.</summary>
public sealed record RewriteResult(string DocumentId, string Rewritten, int Tokens);

[JsonSerializable(typeof(RewritePayload))]
[JsonSerializable(typeof(RewriteResult))]
internal sealed partial class SampleJson : JsonSerializerContext;

/// <summary>Stands in for an LLM API: 20–200 ms latency, about 10% transient errors, a few permanent ones.</summary>
internal static class SimulatedLlm
{
    public static async ValueTask<RewriteResult> RewriteAsync(RewritePayload payload, TaskContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(Random.Shared.Next(20, 201), cancellationToken);
        if (payload.DocumentId.EndsWith("99", StringComparison.Ordinal))
        {
            throw new NonRetryableException($"Document {payload.DocumentId} is longer than the model's context window.");
        }

        if (Random.Shared.NextDouble() < 0.10)
        {
            throw new HttpRequestException($"503 Service Unavailable (simulated) on attempt {context.Attempt}.");
        }

        return new RewriteResult(payload.DocumentId, payload.Text.ToUpperInvariant(), payload.Text.Length / 4);
    }
}
