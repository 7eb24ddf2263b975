using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary><see cref="TemOptions.OnBatchEnded"/> on PostgreSQL: ends decided by another engine arrive through LISTEN/NOTIFY, once each.</summary>
public sealed class BatchEndedTests : SchemaTest
{
    [Fact]
    public async Task Ends_decided_by_another_engine_are_reported_once_each_well_before_the_poll_interval()
    {
        var ends = new ConcurrentQueue<BatchEnded>();
        // A 30 s poll: an end reported sooner came through NOTIFY.
        var watching = await Engines.OpenAsync(Engines.Options(Schema, TimeSpan.FromSeconds(30),
            o => o.OnBatchEnded = (e, _) => { ends.Enqueue(e); return ValueTask.CompletedTask; }), handler: null);
        await using (watching)
        {
            await using var runner = await Engines.OpenAsync(Schema, (job, _, _) =>
                job.N < 0 ? throw new NonRetryableException("negative") : ValueTask.FromResult(new JobResult(job.N)));
            await runner.Worker.StartAsync();

            var clock = Stopwatch.StartNew();
            var done = await runner.Batches.CreateAsync("done", "t");
            await runner.Tasks.EnqueueManyAsync(done.Id, Engines.Type, [new Job(1), new Job(-1), new Job(2)]);
            await runner.WaitForBatchAsync(done.Id, Engines.Timeout());
            await Eventually(() => ends.Count >= 1, "the completed batch's end");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");

            var held = await runner.Batches.CreateAsync("held", "t");
            await runner.Batches.InterruptAsync(held.Id, "paused by the other engine");
            await Eventually(() => ends.Count >= 2, "the interruption");
            var gone = await runner.Batches.CreateAsync("gone", "t");
            await runner.Tasks.EnqueueAsync(gone.Id, Engines.Type, new Job(5), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
            await runner.Batches.CancelAsync(gone.Id);
            await Eventually(() => ends.Count >= 3, "the cancellation");
        }

        // Disposal read once more: a repeated report would show here.
        Assert.Equal(["done", "held", "gone"], ends.Select(e => e.Batch.Code));
        Assert.Equal([BatchEndKind.CompletedWithFailures, BatchEndKind.Interrupted, BatchEndKind.Cancelled], ends.Select(e => e.Kind));
        Assert.Equal(new BatchStats(0, 0, 2, 1, 0), ends.First().Stats);
        Assert.Equal("paused by the other engine", ends.ElementAt(1).Reason);
        Assert.Equal(1, ends.Last().Stats.Cancelled);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(25);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
