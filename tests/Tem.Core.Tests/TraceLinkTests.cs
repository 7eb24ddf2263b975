using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// Traces that connect, on SQLite, seen through OpenTelemetry's SDK and its in-memory exporter: an enqueue is a
/// create span under the caller's span, its context is stored with each task, and each run's process span links to it.
/// </summary>
public sealed class TraceLinkTests
{
    // The listener below matches on this constant, not on App.Name: adding it can be what first touches App, and
    // App's constructor then asks that same listener about App while App is still null (a NullReferenceException
    // inside the type initializer, seen in CI when this test ran first).
    private const string AppName = "Tem.Tests.App";
    private static readonly ActivitySource App = new(AppName);

    [Fact]
    public async Task A_run_span_links_to_the_span_that_enqueued_its_task_and_carries_the_messaging_attributes()
    {
        var probe = new TaskType<EchoPayload, EchoResult>("trace-probe", TestJson.Default.EchoPayload, TestJson.Default.EchoResult);
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource("Tem", App.Name).AddInMemoryExporter(spans).Build();
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: TemHandlerRegistry.Create(w => w.Register(probe, (p, _, _) =>
        {
            using var chat = App.StartActivity("chat gpt-test"); // stands for Tem.AI's GenAI span: a child of the run
            return ValueTask.FromResult(new EchoResult(p.N, p.Text));
        })));
        var batch = await tem.Batches.CreateAsync("traced", "t");
        ActivityContext request;
        using (var parent = App.StartActivity("POST /rewrite"))
        {
            request = parent!.Context;
            await tem.Tasks.EnqueueManyAsync(batch.Id, probe, Types.Payloads(3));
            await tem.Tasks.EnqueueAsync(batch.Id, probe, new EchoPayload(7));
        }

        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        await tem.Worker.StopAsync();
        tracer.ForceFlush();

        var mine = spans.Where(s => (string?)s.GetTagItem("messaging.destination.name") == "trace-probe").ToList();
        var creates = mine.Where(s => s.Kind == ActivityKind.Producer).ToList();
        Assert.Equal(2, creates.Count);
        Assert.All(creates, c =>
        {
            Assert.Equal(request.TraceId, c.TraceId);
            Assert.Equal(request.SpanId, c.ParentSpanId);
            Assert.Equal("tem", c.GetTagItem("messaging.system"));
            Assert.Equal("create", c.GetTagItem("messaging.operation.type"));
            Assert.Equal(batch.Id, c.GetTagItem("tem.batch.id"));
        });
        Assert.Equal(3L, creates.Single(c => c.GetTagItem("messaging.message.id") is null).GetTagItem("messaging.batch.message_count"));

        var runs = mine.Where(s => s.Kind == ActivityKind.Consumer).ToList();
        Assert.Equal(4, runs.Count);
        var tasks = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id });
        foreach (var run in runs)
        {
            Assert.Equal("process trace-probe", run.DisplayName);
            Assert.Equal("tem", run.GetTagItem("messaging.system"));
            Assert.Equal("process", run.GetTagItem("messaging.operation.type"));
            Assert.Equal(batch.Id, run.GetTagItem("tem.batch.id"));
            Assert.Contains(tasks, t => t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == (string?)run.GetTagItem("messaging.message.id"));
            Assert.NotEqual(request.TraceId, run.TraceId); // its own trace, connected by the link
            var link = Assert.Single(run.Links);
            Assert.Contains(creates, c => c.TraceId == link.Context.TraceId && c.SpanId == link.Context.SpanId);
            var chat = Assert.Single(spans, s => s.DisplayName == "chat gpt-test" && s.ParentSpanId == run.SpanId);
            Assert.Equal(run.TraceId, chat.TraceId);
        }

        Assert.Single(runs, r => r.Links.Single().Context.SpanId == creates.Single(c => c.GetTagItem("messaging.message.id") is not null).SpanId);
    }

    [Fact]
    public async Task A_large_staged_enqueue_stores_the_context_with_every_task_and_none_without_a_span()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("staged", "t");
        var count = TaskService.ChunkSize + 10;
        string traceParent;
        using (var listener = new ActivityListener { ShouldListenTo = s => s.Name == AppName, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData })
        {
            ActivitySource.AddActivityListener(listener);
            using var parent = App.StartActivity("nightly import")!;
            traceParent = parent.Id!; // no listener on "Tem" here: the caller's own span is stored
            await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(count));
        }

        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(-1)); // no span at all
        using var connection = new SqliteConnection($"Data Source={db.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FILTER (WHERE trace_parent = $t), COUNT(*) FILTER (WHERE trace_parent IS NULL) FROM task;";
        command.Parameters.AddWithValue("$t", traceParent);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(count, reader.GetInt64(0));
        Assert.Equal(1, reader.GetInt64(1));
    }
}
