using Tem;
using Tem.Samples.Postgres;

// Usage: Tem.Samples.Postgres <connection string> [schema] [batch code]
// Run it on two hosts (or in two terminals) with the same batch code: both enqueue the same idempotent tasks,
// both work the one queue, and each task runs once.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Tem.Samples.Postgres \"Host=...;Database=...;Username=...\" [schema] [batch code]");
    return 2;
}

var schema = args.Length > 1 ? args[1] : "tem";
var code = args.Length > 2 ? args[2] : $"pg-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}";
var options = new TemOptions { Concurrency = 8 }.UsePostgres(args[0], schema);

await using var tem = await TemEngine.OpenAsync(options, TemHandlers.Registry);
var batch = await tem.Batches.GetOrCreateAsync(code, "postgres-sample");
// Idempotency keys make the enqueue safe to repeat from every host.
await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Summarize,
    Enumerable.Range(1, 100).Select(i => new SummarizePayload($"document number {i} of the nightly run")),
    payload => new EnqueueOptions { IdempotencyKey = payload.Text });
await tem.Worker.StartAsync();
var stats = await tem.WaitForBatchAsync(batch.Id);
await tem.Worker.StopAsync();
Console.WriteLine($"batch {batch.Code} on {tem.DatabasePath}: {stats}");
return stats.Failed == 0 && stats.Completed == 100 ? 0 : 1;
