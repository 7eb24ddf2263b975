using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>Traces that connect, on PostgreSQL: the run on one engine links to the create span of the enqueue on another.</summary>
public sealed class TraceLinkTests : SchemaTest
{
    private static readonly ActivitySource App = new("Tem.PgTests.App");

    [Fact]
    public async Task A_run_on_another_engine_links_to_the_enqueue_and_carries_the_messaging_attributes()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource("Tem", App.Name).AddInMemoryExporter(spans).Build();
        await using var enqueuer = await Engines.OpenAsync(Schema, handler: null, poll: TimeSpan.FromMilliseconds(200));
        await using var runner = await Engines.OpenAsync(Schema, (job, _, _) => ValueTask.FromResult(new JobResult(job.N)), poll: TimeSpan.FromMilliseconds(200));
        var batch = await enqueuer.Batches.CreateAsync("traced", "t");
        ActivityContext request;
        using (var parent = App.StartActivity("POST /jobs"))
        {
            request = parent!.Context;
            await enqueuer.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 3).Select(i => new Job(i)));
            await enqueuer.Tasks.EnqueueAsync(batch.Id, Engines.Type, new Job(9));
        }

        await runner.Worker.StartAsync();
        await runner.WaitForBatchAsync(batch.Id, Engines.Timeout());
        await runner.Worker.StopAsync();
        tracer.ForceFlush();

        var mine = spans.Where(s => Equals(s.GetTagItem("tem.batch.id"), batch.Id)).ToList();
        var creates = mine.Where(s => s.Kind == ActivityKind.Producer).ToList();
        Assert.Equal(2, creates.Count);
        Assert.All(creates, c => Assert.Equal(request.SpanId, c.ParentSpanId));
        var runs = mine.Where(s => s.Kind == ActivityKind.Consumer).ToList();
        Assert.Equal(4, runs.Count);
        Assert.All(runs, run =>
        {
            Assert.Equal("tem", run.GetTagItem("messaging.system"));
            Assert.Equal("process", run.GetTagItem("messaging.operation.type"));
            Assert.NotNull(run.GetTagItem("messaging.message.id"));
            var link = Assert.Single(run.Links);
            Assert.Contains(creates, c => c.TraceId == link.Context.TraceId && c.SpanId == link.Context.SpanId);
        });
        Assert.Equal(3, runs.Count(r => r.Links.Single().Context.SpanId == creates.Single(c => c.GetTagItem("messaging.message.id") is null).SpanId));
    }
}
