using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// The claim runs thousands of times a second, so its plan is part of its behaviour: SQLite must walk the claimable
/// index once per (active batch, handled type) pair and find tasks by id, never scan the task table or every batch.
/// Tem never runs ANALYZE on a user's file, so the planner has no statistics to go on.
/// </summary>
public class SqliteClaimPlanTests
{
    [Fact]
    public async Task The_claim_reads_the_claimable_index_per_pair_and_never_scans_the_task_table()
    {
        using var file = new TempDatabase();
        await using (var tem = file.Open())
        {
            var held = await tem.Batches.CreateAsync("held", "t");
            await tem.Tasks.EnqueueManyAsync(held.Id, Types.Echo, Types.Payloads(500));
            await tem.Batches.InterruptAsync(held.Id, "held for the test");
            var live = await tem.Batches.CreateAsync("live", "t");
            await tem.Tasks.EnqueueManyAsync(live.Id, Types.Echo, Types.Payloads(500));
        }

        // Planned on a connection the store opens, inside its write transaction, as a worker's claim is.
        using var db = SqliteDatabase.Open(new SqliteStoreOptions { Path = file.Path }, TimeProvider.System);
        var plan = db.Write(write =>
        {
            using var command = write.Command("EXPLAIN QUERY PLAN " + SqliteRunStatements.Claim,
                ("$owner", "w"), ("$lease", 30_000L), ("$now", write.NowMs), ("$types", "[\"echo\"]"), ("$limit", 64),
                ("$batchIds", null), ("$batchTypes", null));
            using var reader = command.ExecuteReader();
            var steps = new List<string>();
            while (reader.Read())
            {
                steps.Add(reader.GetString(3));
            }

            return steps;
        });

        var text = string.Join("\n", plan);
        Assert.True(plan.Any(step => step.StartsWith("SEARCH c USING ", StringComparison.Ordinal) && step.Contains("INDEX task_claimable (batch_id=? AND type=?)", StringComparison.Ordinal)), text);
        Assert.True(plan.Any(step => step.StartsWith("SEARCH t USING INTEGER PRIMARY KEY", StringComparison.Ordinal)), text);
        // Only the active batches' rows of the batch table, however many finished batches the file keeps.
        Assert.True(plan.Any(step => step.StartsWith("SCAN b USING ", StringComparison.Ordinal) && step.Contains("INDEX batch_active", StringComparison.Ordinal)), text);
        Assert.False(plan.Any(step => step.StartsWith("SCAN t", StringComparison.Ordinal) || step.StartsWith("SCAN c", StringComparison.Ordinal)), text);
    }
}
