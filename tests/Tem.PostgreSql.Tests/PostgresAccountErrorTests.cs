using System.Collections.Concurrent;
using System.Net;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>On PostgreSQL too, a spent quota interrupts the batch at once, fails nothing and resumes to completion.</summary>
public sealed class PostgresAccountErrorTests : SchemaTest
{
    [Fact]
    public async Task A_spent_quota_interrupts_the_batch_and_resume_completes_every_task_once()
    {
        var accountOk = false;
        var served = 0;
        var refusals = 0;
        var completions = new ConcurrentDictionary<int, int>();
        var options = Engines.Options(Schema, TimeSpan.FromMilliseconds(200), o => o.Concurrency = 16);
        await using var tem = await Engines.OpenAsync(options, async (job, _, ct) =>
        {
            await Task.Delay(5, ct);
            if (!Volatile.Read(ref accountOk) && Interlocked.Increment(ref served) > 40)
            {
                Interlocked.Increment(ref refusals);
                throw ProviderAccountErrors.From(HttpStatusCode.TooManyRequests, """{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}}""")!;
            }

            completions.AddOrUpdate(job.N, 1, (_, n) => n + 1);
            return new JobResult(job.N);
        });
        var batch = await tem.Batches.CreateAsync("quota", "test");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 300).Select(i => new Job(i)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Engines.Timeout());
        Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
        Assert.Equal(InterruptionKind.Quota, Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id)).Kind);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(300, stats.Pending + stats.Completed);
        Assert.InRange(refusals, 1, 16 + 5);

        Volatile.Write(ref accountOk, true);
        await tem.Batches.ResumeAsync(batch.Id);
        Assert.Equal(new BatchStats(0, 0, 300, 0, 0), await tem.WaitForBatchAsync(batch.Id, Engines.Timeout()));
        Assert.Equal(300, completions.Count);
        Assert.All(completions.Values, n => Assert.Equal(1, n));
    }
}
