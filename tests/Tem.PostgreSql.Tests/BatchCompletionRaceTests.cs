using Tem.Storage;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// Issue 26: outcome writes share no row per batch, yet a batch completes exactly once. Two stores (two connection
/// pools, as two machines have) write the outcomes of a batch's last two tasks at the same instant, round after round,
/// on the fast path (both completed), the general path (both failed) and one of each; every round the batch must end
/// completed. Each write sees only its own task finished while the other's is uncommitted, so without the completion
/// rule (<c>PgBatchCompletion</c>) some rounds leave the batch active forever.
/// </summary>
public sealed class BatchCompletionRaceTests : SchemaTest
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public async Task Two_writers_ending_a_batchs_last_two_tasks_at_once_complete_it_every_time(bool firstCompletes, bool secondCompletes)
    {
        var (first, second) = (firstCompletes ? OutcomeKind.Completed : OutcomeKind.Failed, secondCompletes ? OutcomeKind.Completed : OutcomeKind.Failed);
        await using var a = await OpenAsync();
        await using var b = await OpenAsync();
        var none = CancellationToken.None;
        var task = new NewTask("{}", 1, 0, TimeSpan.Zero, null);
        for (var round = 0; round < 40; round++)
        {
            var batch = await a.CreateBatchAsync($"race-{round}", "t", null, null, none);
            // A finished task beside the two: the batch holds more than the two rows being written.
            await a.EnqueueAsync(batch.Id, "job", [task, task, task], none);
            var warm = await a.ClaimAsync("warm", ["job"], default, 1, TimeSpan.FromMinutes(1), none);
            await a.ApplyOutcomesAsync([Outcome(warm[0], OutcomeKind.Completed)], none);
            var onA = Assert.Single(await a.ClaimAsync("a", ["job"], default, 1, TimeSpan.FromMinutes(1), none));
            var onB = Assert.Single(await b.ClaimAsync("b", ["job"], default, 1, TimeSpan.FromMinutes(1), none));

            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writeA = Task.Run(async () => { await go.Task; return await a.ApplyOutcomesAsync([Outcome(onA, first)], none); });
            var writeB = Task.Run(async () => { await go.Task; return await b.ApplyOutcomesAsync([Outcome(onB, second)], none); });
            go.SetResult();
            Assert.Empty(await writeA);
            Assert.Empty(await writeB);

            var stats = await a.GetStatsAsync(batch.Id, none);
            Assert.Equal(0, stats.Pending + stats.Running);
            Assert.Equal(BatchStatus.Completed, (await a.GetBatchAsync(batch.Id, none))!.Status);
        }
    }

    private static TaskOutcome Outcome(ClaimedTask task, OutcomeKind kind)
        => new(task.Id, task.BatchId, task.Version, kind, kind == OutcomeKind.Completed ? "{}" : null, kind == OutcomeKind.Completed ? null : "boom", TimeSpan.Zero);

    private async Task<ITemStore> OpenAsync()
    {
        var options = PostgresServer.Options(Schema);
        options.Validate();
        return await options.OpenAsync(TimeProvider.System, CancellationToken.None);
    }
}
