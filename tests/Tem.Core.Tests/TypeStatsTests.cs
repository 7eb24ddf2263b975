using Xunit;

namespace Tem.Core.Tests;

/// <summary>Batches.GetTypeStatsAsync: counts per task type and status, with the provider refusals of each type.</summary>
public sealed class TypeStatsTests
{
    [Fact]
    public async Task Counts_each_type_by_status_with_its_refusals()
    {
        using var db = new TempDatabase();
        var refused = 0;
        await using var tem = db.Open(o => o.MaxRetryAfter = TimeSpan.FromSeconds(1), TemHandlerRegistry.Create(w =>
        {
            w.Register(Types.Echo, (p, _, _) =>
            {
                if (p.N == 1 && Interlocked.Increment(ref refused) <= 2)
                {
                    throw new RetryAfterException(TimeSpan.FromMilliseconds(20));
                }

                return p.N == 2 ? throw new NonRetryableException("bad document") : ValueTask.FromResult(new EchoResult(p.N, p.Text));
            });
            w.Register(Types.Fire, (_, _, _) => ValueTask.CompletedTask);
        }));
        var batch = await tem.Batches.CreateAsync("types", "t");
        var other = await tem.Batches.CreateAsync("other", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(4));
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Fire, Types.Payloads(3));
        await tem.Tasks.EnqueueManyAsync(other.Id, Types.Fire, Types.Payloads(5));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        await tem.WaitForBatchAsync(other.Id, Types.Timeout());

        var types = await tem.Batches.GetTypeStatsAsync(batch.Id);
        Assert.Equal(["echo", "fire"], types.Select(t => t.Type));
        Assert.Equal(new BatchStats(0, 0, 3, 1, 0), types[0].Stats);
        Assert.Equal(2, types[0].RateLimitDeferrals);
        Assert.Equal(new BatchStats(0, 0, 3, 0, 0), types[1].Stats);
        Assert.Equal(0, types[1].RateLimitDeferrals);
        Assert.Equal(new BatchStats(0, 0, 5, 0, 0), (await tem.Batches.GetTypeStatsAsync(other.Id)).Single().Stats);
    }

    [Fact]
    public async Task An_empty_batch_has_no_types_and_an_unknown_one_is_refused()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("empty", "t");
        Assert.Empty(await tem.Batches.GetTypeStatsAsync(batch.Id));
        var ex = await Assert.ThrowsAsync<BatchNotFoundException>(() => tem.Batches.GetTypeStatsAsync(batch.Id + 100));
        Assert.Contains($"No batch has id {batch.Id + 100}", ex.Message);
    }
}
