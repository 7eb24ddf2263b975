using System.Text.Json;
using Tem;
using Tem.Samples.Aot;

// Usage: Tem.Samples.Aot [database-path]
var databasePath = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), $"tem-aot-{Guid.NewGuid():N}.db");

// Generated descriptors carry AOT-safe JSON metadata: no reflection anywhere.
Console.WriteLine($"task types: {string.Join(", ", TemTasks.AllNames)}");
Console.WriteLine($"payload json: {JsonSerializer.Serialize(new RewritePayload("hello", 64), TemTasks.Rewrite.PayloadTypeInfo)}");
Console.WriteLine($"tem-described json: {JsonSerializer.Serialize(new NotifyPayload("ops@example.com"), TemTasks.Notify.PayloadTypeInfo)}");

var options = new TemOptions { DatabasePath = databasePath, Concurrency = 4 };

await using var tem = TemEngine.Open(options, TemHandlers.Registry);
var batch = await tem.Batches.CreateAsync(code: $"aot-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}", type: "aot-sample");
var payloads = Enumerable.Range(1, 20).Select(i => new RewritePayload($"text number {i}", 8));
await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Rewrite, payloads);
await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Notify, [new NotifyPayload("ops@example.com")]);
await tem.Worker.StartAsync();
await tem.WaitForBatchAsync(batch.Id);
await tem.Worker.StopAsync();
var stats = await tem.Batches.GetStatsAsync(batch.Id);
Console.WriteLine($"batch {batch.Id}: {stats}");
return stats.Failed == 0 ? 0 : 1;
