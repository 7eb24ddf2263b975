using Xunit;

namespace Tem.Core.Tests;

/// <summary>BatchActivityReads.GetActivityAsync, the read behind `tem watch` (issue 18, item 5), on a real file.</summary>
public sealed class ActivityTests : IDisposable
{
    private static readonly TaskType<EchoPayload, EchoResult> Fast = new("fast", TestJson.Default.EchoPayload, TestJson.Default.EchoResult, maxAttempts: 1);
    private static readonly TaskType<EchoPayload, EchoResult> Slow = new("slow", TestJson.Default.EchoPayload, TestJson.Default.EchoResult, maxAttempts: 1);

    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Counts_per_type_rates_and_errors_follow_the_run_and_a_retry_failed()
    {
        await using var tem = _db.Open(registry: TemHandlerRegistry.Create(w =>
        {
            w.Register(Fast, (p, _, _) => p.N % 5 == 4 ? throw new InvalidOperationException($"bad {p.N}") : ValueTask.FromResult(new EchoResult(p.N, "")));
            w.Register(Slow, async (p, _, ct) =>
            {
                await Task.Delay(100, ct);
                return new EchoResult(p.N, "");
            });
        }));
        var batch = await tem.Batches.CreateAsync("a", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Fast, Enumerable.Range(0, 20).Select(i => new EchoPayload(i)));
        await tem.Tasks.EnqueueManyAsync(batch.Id, Slow, Enumerable.Range(0, 8).Select(i => new EchoPayload(i)));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, TestContext.Current.CancellationToken);

        // A window long enough for a loaded CI machine: everything ran within it.
        var activity = await tem.Batches.GetActivityAsync(batch.Id, TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["fast", "slow"], activity.Types.Select(t => t.Type));
        Assert.Equal(new BatchStats(0, 0, 16, 4, 0), activity.Types[0].Stats);
        Assert.Equal(new BatchStats(0, 0, 8, 0, 0), activity.Types[1].Stats);
        Assert.Equal(20, activity.Types[0].EndedInWindow);
        Assert.Equal(8, activity.Types[1].EndedInWindow);
        Assert.True(activity.Types[1].AverageRunning > 0, "the slow tasks' busy time counts");
        Assert.True(activity.RatePerSecond > 0);
        Assert.Equal(TimeSpan.Zero, activity.EstimatedTimeLeft);
        Assert.Equal(["bad 4", "bad 9", "bad 14", "bad 19"], activity.RecentErrors.Select(e => e.Error.Split(": ")[1]).Order(StringComparer.Ordinal).OrderBy(e => e.Length));
        Assert.All(activity.RecentErrors, e => Assert.Equal((TemTaskStatus.Failed, 1, "fast"), (e.Status, e.Attempt, e.Type)));

        // Retry-failed with the worker stopped: failed goes down, pending up; the reset tasks' old errors are not new ones.
        await tem.Worker.StopAsync();
        Assert.Equal(4, await tem.Batches.RetryFailedAsync(batch.Id, TestContext.Current.CancellationToken));
        activity = await tem.Batches.GetActivityAsync(batch.Id, TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(new BatchStats(4, 0, 16, 0, 0), activity.Types[0].Stats);
        Assert.Equal(16, activity.Types[0].EndedInWindow);
        Assert.Empty(activity.RecentErrors);
    }

    [Fact]
    public async Task An_unknown_batch_has_no_activity_and_a_window_must_be_positive()
    {
        await using var tem = _db.Open();
        var activity = await tem.Batches.GetActivityAsync(12345, TimeSpan.FromSeconds(10), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(activity.Types);
        Assert.Equal(new BatchStats(0, 0, 0, 0, 0), activity.Stats);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => tem.Batches.GetActivityAsync(1, TimeSpan.Zero, cancellationToken: TestContext.Current.CancellationToken));
    }
}
