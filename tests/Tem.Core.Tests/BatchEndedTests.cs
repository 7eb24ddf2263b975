using System.Collections.Concurrent;
using Xunit;

namespace Tem.Core.Tests;

/// <summary><see cref="TemOptions.OnBatchEnded"/> on SQLite: every end reported once, whoever decided it.</summary>
public sealed class BatchEndedTests
{
    private static ITemHandlerRegistry FailingOddRegistry() => Types.EchoRegistry((p, _, _) =>
        p.N % 2 == 1 ? throw new NonRetryableException($"odd {p.N}") : ValueTask.FromResult(new EchoResult(p.N, p.Text)));

    [Fact]
    public async Task Each_kind_of_end_is_reported_once_with_its_stats()
    {
        using var db = new TempDatabase();
        var ends = new ConcurrentQueue<BatchEnded>();
        var engine = db.Open(o => o.OnBatchEnded = (e, _) => { ends.Enqueue(e); return ValueTask.CompletedTask; }, FailingOddRegistry());
        await using (engine)
        {
            var clean = await engine.Batches.CreateAsync("clean", "t");
            await engine.Tasks.EnqueueManyAsync(clean.Id, Types.Echo, [new EchoPayload(0), new EchoPayload(2)]);
            var mixed = await engine.Batches.CreateAsync("mixed", "t");
            await engine.Tasks.EnqueueManyAsync(mixed.Id, Types.Echo, Types.Payloads(4));
            var stopped = await engine.Batches.CreateAsync("stopped", "t");
            await engine.Tasks.EnqueueManyAsync(stopped.Id, Types.Fire, Types.Payloads(3)); // no handler: stays pending
            var dropped = await engine.Batches.CreateAsync("dropped", "t");
            await engine.Tasks.EnqueueManyAsync(dropped.Id, Types.Fire, Types.Payloads(2));

            await engine.Worker.StartAsync();
            await engine.WaitForBatchAsync(clean.Id, Types.Timeout());
            await engine.WaitForBatchAsync(mixed.Id, Types.Timeout());
            Assert.True(await engine.Batches.InterruptAsync(stopped.Id, "enough for tonight"));
            await engine.Batches.CancelAsync(dropped.Id);

            await Types.Eventually(() => Task.FromResult(ends.Count >= 4), "four ends reported");
        }

        // Disposal made one last read: any second report of the same end would be here now.
        var byCode = ends.GroupBy(e => e.Batch.Code).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["clean", "dropped", "mixed", "stopped"], byCode.Keys.Order());
        Assert.All(byCode.Values, list => Assert.Single(list));
        Assert.Equal(BatchEndKind.Completed, byCode["clean"][0].Kind);
        Assert.Equal(new BatchStats(0, 0, 2, 0, 0), byCode["clean"][0].Stats);
        Assert.Equal(BatchEndKind.CompletedWithFailures, byCode["mixed"][0].Kind);
        Assert.Equal(new BatchStats(0, 0, 2, 2, 0), byCode["mixed"][0].Stats);
        Assert.Equal(BatchEndKind.Interrupted, byCode["stopped"][0].Kind);
        Assert.Equal("enough for tonight", byCode["stopped"][0].Reason);
        Assert.Equal(3, byCode["stopped"][0].Stats.Pending);
        Assert.Equal(BatchEndKind.Cancelled, byCode["dropped"][0].Kind);
        Assert.Equal(2, byCode["dropped"][0].Stats.Cancelled);
        Assert.Null(byCode["clean"][0].Reason);
    }

    [Fact]
    public async Task A_batch_that_ends_again_after_a_retry_is_reported_again_and_ends_before_opening_are_not()
    {
        using var db = new TempDatabase();
        long earlier;
        await using (var before = db.Open(registry: FailingOddRegistry()))
        {
            earlier = (await before.Batches.CreateAsync("earlier", "t")).Id;
            await before.Tasks.EnqueueAsync(earlier, Types.Echo, new EchoPayload(0));
            await before.Worker.StartAsync();
            await before.WaitForBatchAsync(earlier, Types.Timeout());
        }

        var ends = new ConcurrentQueue<BatchEnded>();
        var attempt = 0;
        var registry = Types.EchoRegistry((p, _, _) =>
            Interlocked.Increment(ref attempt) == 1 ? throw new NonRetryableException("first time") : ValueTask.FromResult(new EchoResult(p.N, p.Text)));
        await using (var engine = db.Open(o => o.OnBatchEnded = (e, _) => { ends.Enqueue(e); return ValueTask.CompletedTask; }, registry))
        {
            var batch = await engine.Batches.CreateAsync("again", "t");
            await engine.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1));
            await engine.Worker.StartAsync();
            await Types.Eventually(() => Task.FromResult(ends.Count >= 1), "the first end");
            Assert.Equal(BatchEndKind.CompletedWithFailures, ends.Single().Kind);

            await engine.Batches.RetryFailedAsync(batch.Id);
            await Types.Eventually(() => Task.FromResult(ends.Count >= 2), "the second end");
        }

        Assert.Equal([BatchEndKind.CompletedWithFailures, BatchEndKind.Completed], ends.Select(e => e.Kind));
        Assert.DoesNotContain(ends, e => e.Batch.Id == earlier);
    }

    [Fact]
    public async Task An_end_decided_by_another_engine_on_the_file_is_reported_and_a_throwing_callback_does_not_stop_reports()
    {
        using var db = new TempDatabase();
        var ends = new ConcurrentQueue<BatchEnded>();
        await using var watcher = db.Open(o => o.OnBatchEnded = (e, _) =>
        {
            ends.Enqueue(e);
            return e.Batch.Code == "first" ? throw new InvalidOperationException("the app's bug") : ValueTask.CompletedTask;
        });
        await using var runner = db.Open(registry: Types.EchoRegistry((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, p.Text))));
        await runner.Worker.StartAsync();
        foreach (var code in new[] { "first", "second" })
        {
            var batch = await runner.Batches.CreateAsync(code, "t");
            await runner.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
            await runner.WaitForBatchAsync(batch.Id, Types.Timeout());
        }

        await Types.Eventually(() => Task.FromResult(ends.Count >= 2), "both ends seen by the engine that ran nothing");
        Assert.Equal(["first", "second"], ends.Select(e => e.Batch.Code));
        Assert.All(ends, e => Assert.Equal(BatchEndKind.Completed, e.Kind));
    }
}
