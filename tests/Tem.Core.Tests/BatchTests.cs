using Xunit;

namespace Tem.Core.Tests;

public class BatchTests
{
    [Fact]
    public async Task Create_get_by_id_and_code_and_list()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var meta = new Dictionary<string, string> { ["model"] = "gpt-x", ["owner"] = "docs" };
        var a = await tem.Batches.CreateAsync("2026-02-15-llm-fix", "rewrite-docs", meta);
        var b = await tem.Batches.CreateAsync("other", "summaries");

        Assert.Equal(BatchStatus.Active, a.Status);
        Assert.Equal("gpt-x", (await tem.Batches.GetAsync(a.Id)).Metadata["model"]);
        Assert.Equal(a.Id, (await tem.Batches.GetByCodeAsync("2026-02-15-llm-fix"))!.Id);
        Assert.Null(await tem.Batches.GetByCodeAsync("nope"));
        Assert.Equal([a.Id, b.Id], (await tem.Batches.ListAsync()).Select(x => x.Id));
        Assert.Equal([b.Id], (await tem.Batches.ListAsync(type: "summaries")).Select(x => x.Id));
        Assert.Empty(await tem.Batches.ListAsync(status: BatchStatus.Cancelled));
    }

    [Fact]
    public async Task A_duplicate_code_is_a_clear_error_and_changes_nothing()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        await tem.Batches.CreateAsync("dup", "t");
        var ex = await Assert.ThrowsAsync<DuplicateBatchCodeException>(() => tem.Batches.CreateAsync("dup", "t2"));
        Assert.Contains("A batch with code 'dup' already exists", ex.Message);
        Assert.Contains("GetByCodeAsync", ex.Message);
        Assert.Single(await tem.Batches.ListAsync());
    }

    [Fact]
    public async Task GetOrCreate_reopens_an_existing_batch()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var first = await tem.Batches.GetOrCreateAsync("daily", "t");
        var second = await tem.Batches.GetOrCreateAsync("daily", "t");
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task Unknown_batch_ids_are_typed_errors()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var ex = await Assert.ThrowsAsync<BatchNotFoundException>(() => tem.Batches.GetStatsAsync(42));
        Assert.Contains("No batch has id 42", ex.Message);
        await Assert.ThrowsAsync<BatchNotFoundException>(() => tem.Batches.CancelAsync(42));
        await Assert.ThrowsAsync<BatchNotFoundException>(() => tem.Tasks.EnqueueAsync(42, Types.Echo, new EchoPayload(1)));
    }

    [Fact]
    public async Task Blank_codes_and_bad_criteria_are_refused()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => tem.Batches.CreateAsync("  ", "t"));
        Assert.Contains("batch code must be 1 to 200 characters", ex.Message);
        var bad = await Assert.ThrowsAsync<TemConfigurationException>(() => tem.Batches.CreateAsync("c", "t", interruptionCriteria: new InterruptionCriteria { MaxErrorRate = 1.5 }));
        Assert.Contains("MaxErrorRate is 1.5", bad.Message);
    }

    [Fact]
    public async Task Cancel_cancels_pending_tasks_and_refuses_new_ones()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("c", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(5));
        Assert.Equal(5, await tem.Batches.CancelAsync(batch.Id));

        var stats = await tem.Batches.GetStatsAsync(batch.Id);
        Assert.Equal(new BatchStats(0, 0, 0, 0, 5), stats);
        Assert.Equal(BatchStatus.Cancelled, (await tem.Batches.GetAsync(batch.Id)).Status);
        var ex = await Assert.ThrowsAsync<BatchNotActiveException>(() => tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(9)));
        Assert.Contains("is cancelled and takes no new tasks", ex.Message);
        await Assert.ThrowsAsync<BatchNotActiveException>(() => tem.Batches.RetryFailedAsync(batch.Id));
    }

    [Fact]
    public async Task Interrupt_keeps_a_record_and_resume_reopens()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("i", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        Assert.True(await tem.Batches.InterruptAsync(batch.Id, "provider outage"));
        Assert.False(await tem.Batches.InterruptAsync(batch.Id, "again"));

        var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
        Assert.Equal("provider outage", record.Reason);
        Assert.Equal(3, record.Stats.Pending);
        var ex = await Assert.ThrowsAsync<BatchNotActiveException>(() => tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(9)));
        Assert.Contains("ResumeAsync", ex.Message);

        await tem.Batches.ResumeAsync(batch.Id);
        Assert.Equal(BatchStatus.Active, (await tem.Batches.GetAsync(batch.Id)).Status);
    }
}
