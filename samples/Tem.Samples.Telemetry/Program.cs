// Tem's traces and a batch-ended hook, exported to the console with OpenTelemetry: the enqueue is a "create" span under
// the request that made it, each run a "process" span linked to it, and the LLM call a child of the run.
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Tem;
using TelemetrySample;

var request = new ActivitySource("TelemetrySample");
using var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource("Tem", request.Name, Handlers.Llm.Name)
    .AddConsoleExporter()
    .Build();

var path = Path.Combine(Path.GetTempPath(), $"tem-telemetry-{Environment.ProcessId}.db");
var ended = new TaskCompletionSource<BatchEnded>();
await using (var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = path,
    Concurrency = 2,
    OnBatchEnded = (end, _) => { ended.TrySetResult(end); return ValueTask.CompletedTask; },
}, TemHandlers.Registry))
{
    var batch = await tem.Batches.CreateAsync($"summaries-{DateTime.UtcNow:yyyyMMdd-HHmmss}", "summaries");
    using (request.StartActivity("POST /summaries"))
    {
        await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Summarize, [new Summarize(1, "Tem links runs to their enqueue."), new Summarize(2, "Short.")]);
    }

    await tem.Worker.StartAsync();
    await tem.WaitForBatchAsync(batch.Id);
    var end = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
    Console.WriteLine($"Batch {end.Batch.Code} ended: {end.Kind}, {end.Stats.Completed} completed, {end.Stats.Failed} failed.");
}

File.Delete(path);
