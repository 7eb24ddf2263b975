using Xunit;

namespace Tem.Core.Tests;

public class ReportTests
{
    [Fact]
    public async Task The_report_counts_attempts_groups_errors_and_times_tasks()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.DefaultMaxAttempts = 2, TemHandlerRegistry.Create(w => w.Register(Types.Echo, async (p, ctx, ct) =>
        {
            await Task.Delay(10, ct);
            if (p.N < 4)
            {
                throw new NonRetryableException("context window exceeded");
            }

            if (p.N < 10 && ctx.Attempt == 1)
            {
                throw new TimeoutException("slow provider");
            }

            return new EchoResult(p.N, "");
        })));
        var batch = await tem.Batches.CreateAsync("r", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(30));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var report = await tem.Batches.GetReportAsync(batch.Id);
        Assert.Equal(new BatchStats(0, 0, 26, 4, 0), report.Stats);
        Assert.Equal([new AttemptCount(1, 24), new AttemptCount(2, 6)], report.Attempts);
        Assert.Equal([new ErrorCount("Tem.NonRetryableException: context window exceeded", 4)], report.TopErrors);
        Assert.True(report.DurationP50 >= TimeSpan.FromMilliseconds(9), $"p50 {report.DurationP50}");
        Assert.True(report.DurationMax >= report.DurationP95 && report.DurationP95 >= report.DurationP50);
        Assert.True(report.Throughput > 0);
        Assert.Empty(report.Interruptions);
    }
}
