using Xunit;

namespace Tem.Core.Tests;

public class EnqueueTests
{
    [Fact]
    public async Task Enqueue_stores_payload_and_defaults()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.DefaultMaxAttempts = 4);
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(7, "seven"), new EnqueueOptions { Priority = 3 });
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(TemTaskStatus.Pending, task.Status);
        Assert.Equal("""{"N":7,"Text":"seven"}""", task.PayloadJson);
        Assert.Equal(4, task.MaxAttempts);
        Assert.Equal(3, task.Priority);
        Assert.Equal(0, task.Attempt);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => tem.Tasks.GetAsync(id + 100));
    }

    [Fact]
    public async Task Enqueue_with_the_same_idempotency_key_is_a_no_op()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("b", "t");
        EnqueueOptions Key(EchoPayload p) => new() { IdempotencyKey = $"doc-{p.N}" };

        var first = await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(100), Key);
        var second = await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(150), Key);
        Assert.Equal(new EnqueueResult(100, 0), first);
        Assert.Equal(new EnqueueResult(50, 100), second);
        Assert.Equal(150, (await tem.Batches.GetStatsAsync(batch.Id)).Total);

        var id1 = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(5), new EnqueueOptions { IdempotencyKey = "doc-5" });
        var existing = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 10 });
        Assert.Equal(existing[5].Id, id1);

        // Keys are per batch: another batch takes the same key.
        var other = await tem.Batches.CreateAsync("b2", "t");
        Assert.Equal(new EnqueueResult(100, 0), await tem.Tasks.EnqueueManyAsync(other.Id, Types.Echo, Types.Payloads(100), Key));
    }

    [Fact]
    public async Task EnqueueMany_streams_its_source_once_and_rolls_back_on_error()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("b", "t");
        var produced = 0;
        IEnumerable<EchoPayload> Source()
        {
            for (var i = 0; i < 50_000; i++)
            {
                produced++;
                yield return new EchoPayload(i);
            }
        }

        var result = await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Source());
        Assert.Equal(50_000, result.Inserted);
        Assert.Equal(50_000, produced);

        IEnumerable<EchoPayload> Failing()
        {
            yield return new EchoPayload(1);
            throw new InvalidOperationException("source broke");
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Failing()));
        Assert.Equal(50_000, (await tem.Batches.GetStatsAsync(batch.Id)).Total); // one transaction: nothing of the failed call kept
    }

    [Fact]
    public async Task List_filters_and_pages()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(25));
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Fire, Types.Payloads(5));

        var page1 = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Type = "echo", Limit = 10 });
        var page2 = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Type = "echo", Limit = 10, AfterId = page1[^1].Id });
        Assert.Equal(10, page1.Count);
        Assert.Equal(10, page2.Count);
        Assert.True(page2[0].Id > page1[^1].Id);
        Assert.Equal(5, (await tem.Tasks.ListAsync(new TaskQuery { Type = "fire" })).Count);
        Assert.Empty(await tem.Tasks.ListAsync(new TaskQuery { Status = TemTaskStatus.Failed }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => tem.Tasks.ListAsync(new TaskQuery { Limit = 0 }));
    }
}
