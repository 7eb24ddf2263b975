using System.Text.Json;
using Tem.ProviderBatches;
using Xunit;

namespace Tem.Provider.Tests.Batches;

/// <summary>The simulator's OpenAI Batch API, driven through Tem's own batch client over loopback HTTP.</summary>
[Collection(nameof(ProviderTests))]
public sealed class OpenAiBatchApiTests
{
    private static readonly string[] Order = ["validating", "in_progress", "finalizing", "completed"];

    private static async Task<(List<OpenAiBatchOutputLine> Output, List<OpenAiBatchOutputLine> Errors)> ReadResultsAsync(BatchApiKit kit, OpenAiBatch batch)
    {
        var output = batch.OutputFileId is { } o ? await kit.OpenAi.ReadFileLinesAsync(o).ToListAsync() : [];
        var errors = batch.ErrorFileId is { } e ? await kit.OpenAi.ReadFileLinesAsync(e).ToListAsync() : [];
        return (output, errors);
    }

    [Fact]
    public async Task A_batch_goes_validating_in_progress_finalizing_completed_and_its_output_is_reordered_with_usage()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.ValidatingFor = TimeSpan.FromMilliseconds(300);
            o.LinesPerSecond = 1000;
            o.FinalizingFor = TimeSpan.FromMilliseconds(300);
            o.LineErrorRate = 0.1;
        });
        var lines = Enumerable.Range(0, 500).Select(n => BatchApiKit.ChatLine(n)).ToList();
        var file = await kit.OpenAi.UploadBatchFileAsync(lines, "tasks.jsonl");
        var created = await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", new Dictionary<string, string> { ["tem_submission"] = "sub-1" });
        Assert.Equal("validating", created.Status);
        Assert.Equal("sub-1", created.Metadata!["tem_submission"]);

        var seen = new List<string> { created.Status };
        var done = await BatchApiKit.PollAsync(() => kit.OpenAi.GetAsync(created.Id), b => b.IsTerminal, seen, b => b.Status);

        Assert.Equal("completed", done.Status);
        Assert.Equal(seen, Order.Where(seen.Contains)); // whatever a busy machine let us see, in the documented order
        Assert.NotNull(done.InProgressAt);
        Assert.NotNull(done.FinalizingAt);
        Assert.NotNull(done.CompletedAt);
        var (output, errors) = await ReadResultsAsync(kit, done);
        Assert.Equal(500, done.RequestCounts!.Total);
        Assert.Equal(output.Count, done.RequestCounts.Completed);
        Assert.Equal(errors.Count, done.RequestCounts.Failed);
        Assert.InRange(errors.Count, 20, 90); // 10% of 500, seeded
        Assert.Equal(lines.Select(l => l.CustomId).Order(), output.Concat(errors).Select(l => l.CustomId).Order());
        Assert.NotEqual(lines.Select(l => l.CustomId).Where(output.Select(o => o.CustomId).ToHashSet().Contains), output.Select(o => o.CustomId));
        Assert.All(errors, e => Assert.Equal(500, e.Response!.StatusCode));
        Assert.All(output, line =>
        {
            Assert.Equal(200, line.Response!.StatusCode);
            var body = line.Response.Body;
            var n = line.CustomId.Split('-')[1];
            Assert.Equal($"ok: doc-{n}", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.True(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        });
        Assert.All(lines, l => Assert.Equal(1, kit.Counters.Submissions(l.CustomId)));
        Assert.Equal(1, kit.Counters.FilesUploaded);
    }

    [Theory]
    [InlineData("duplicate", "duplicate_custom_id")]
    [InlineData("two models", "mismatched_model")]
    [InlineData("too many", "too_many_requests")]
    [InlineData("too large", "file_too_large")]
    [InlineData("wrong url", "mismatched_endpoint")]
    public async Task A_file_that_breaks_a_documented_limit_fails_validation_and_runs_nothing(string breach, string code)
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.OpenAiMaxRequestsPerFile = 10;
            o.OpenAiMaxFileBytes = 4000;
        });
        var lines = breach switch
        {
            "duplicate" => [BatchApiKit.ChatLine(1), BatchApiKit.ChatLine(2), BatchApiKit.ChatLine(3, customId: "task-1-a1")],
            "two models" => [BatchApiKit.ChatLine(1), BatchApiKit.ChatLine(2, model: "gpt-4o")],
            "too many" => Enumerable.Range(0, 11).Select(n => BatchApiKit.ChatLine(n)).ToList(),
            "too large" => [BatchApiKit.ChatLine(1, customId: new string('x', 5000))],
            _ => new List<OpenAiBatchRequestLine> { BatchApiKit.ChatLine(1) with { Url = "/v1/embeddings" } },
        };
        var file = await kit.OpenAi.UploadBatchFileAsync(lines, "bad.jsonl");
        var created = await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", null);
        var failed = await BatchApiKit.PollAsync(() => kit.OpenAi.GetAsync(created.Id), b => b.IsTerminal);

        Assert.Equal("failed", failed.Status);
        Assert.NotNull(failed.FailedAt);
        Assert.Contains(failed.Errors!.Data!, e => e.Code == code);
        if (breach == "duplicate")
        {
            Assert.Equal(3, failed.Errors.Data!.Single().Line);
        }

        Assert.Null(failed.OutputFileId);
        Assert.Equal(0, kit.Counters.BatchesCreated);
        Assert.Equal(0, kit.Counters.DistinctSubmitted);
    }

    [Fact]
    public async Task Lines_not_done_by_the_deadline_expire_into_the_error_file()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.ValidatingFor = TimeSpan.Zero;
            o.LinesPerSecond = 100;
            o.ExpiresAfter = TimeSpan.FromSeconds(1);
        });
        var file = await kit.OpenAi.UploadBatchFileAsync(Enumerable.Range(0, 400).Select(n => BatchApiKit.ChatLine(n)), "slow.jsonl");
        var created = await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", null);
        var expired = await BatchApiKit.PollAsync(() => kit.OpenAi.GetAsync(created.Id), b => b.IsTerminal);

        Assert.Equal("expired", expired.Status);
        Assert.NotNull(expired.ExpiredAt);
        var (output, errors) = await ReadResultsAsync(kit, expired);
        Assert.InRange(output.Count, 50, 150); // ~100 lines a second for one second
        Assert.Equal(400 - output.Count, errors.Count);
        Assert.All(errors, e => Assert.Equal("batch_expired", e.Error!.Code));
        Assert.Equal(400, expired.RequestCounts!.Completed + expired.RequestCounts.Failed);
    }

    [Fact]
    public async Task A_cancel_goes_cancelling_then_cancelled_and_a_finished_batch_refuses_one()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.ValidatingFor = TimeSpan.Zero;
            o.LinesPerSecond = 200;
            o.CancellingFor = TimeSpan.FromMilliseconds(500);
        });
        var file = await kit.OpenAi.UploadBatchFileAsync(Enumerable.Range(0, 2000).Select(n => BatchApiKit.ChatLine(n)), "long.jsonl");
        var created = await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", null);
        var cancelling = await kit.OpenAi.CancelAsync(created.Id);
        Assert.Equal("cancelling", cancelling.Status);
        Assert.NotNull(cancelling.CancellingAt);

        var cancelled = await BatchApiKit.PollAsync(() => kit.OpenAi.GetAsync(created.Id), b => b.IsTerminal);
        Assert.Equal("cancelled", cancelled.Status);
        var (output, errors) = await ReadResultsAsync(kit, cancelled);
        Assert.Equal(2000, output.Count + errors.Count);
        Assert.Contains(errors, e => e.Error?.Code == "batch_cancelled");
        Assert.Equal(1, kit.Counters.Cancels);

        var refused = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.OpenAi.CancelAsync(created.Id));
        Assert.Equal(409, refused.StatusCode);
        Assert.Contains("Cannot cancel a batch with status 'cancelled'", refused.Message);
    }

    [Fact]
    public async Task The_list_pages_newest_first_and_a_submission_is_found_again_by_its_metadata()
    {
        await using var kit = await BatchApiKit.StartAsync();
        var since = DateTimeOffset.UtcNow;
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var file = await kit.OpenAi.UploadBatchFileAsync([BatchApiKit.ChatLine(i)], $"s{i}.jsonl");
            ids.Add((await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", new Dictionary<string, string> { ["tem_submission"] = $"s{i}" })).Id);
        }

        var first = await kit.OpenAi.ListAsync(limit: 3);
        Assert.True(first.HasMore);
        Assert.Equal(ids[6], first.FirstId);
        var second = await kit.OpenAi.ListAsync(first.LastId, 3);
        var third = await kit.OpenAi.ListAsync(second.LastId, 3);
        Assert.False(third.HasMore);
        Assert.Equal(Enumerable.Reverse(ids), first.Data.Concat(second.Data).Concat(third.Data).Select(b => b.Id));
        Assert.Equal(Enumerable.Reverse(ids), await kit.OpenAi.ListAllAsync(pageSize: 2).Select(b => b.Id).ToListAsync());

        Assert.Equal(ids[2], (await kit.OpenAi.FindByMetadataAsync("tem_submission", "s2", since))?.Id);
        Assert.Null(await kit.OpenAi.FindByMetadataAsync("tem_submission", "s9", since));
    }

    [Fact]
    public async Task A_create_with_an_unknown_file_or_a_bad_window_is_refused_with_the_providers_words()
    {
        await using var kit = await BatchApiKit.StartAsync();
        var unknown = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.OpenAi.CreateAsync("file-nope", "/v1/chat/completions", null));
        Assert.Equal(400, unknown.StatusCode);
        Assert.Equal("invalid_request_error", unknown.ErrorType);
        Assert.Contains("POST /v1/batches answered 400", unknown.Message);
        Assert.Contains("file-nope", unknown.Message);

        var file = await kit.OpenAi.UploadBatchFileAsync([BatchApiKit.ChatLine(1)], "one.jsonl");
        var tooMany = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v");
        var metadata = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", tooMany));
        Assert.Contains("at most 16 pairs", metadata.Message);
        Assert.Equal(0, kit.Counters.BatchesCreated);
        Assert.Equal(2, kit.Counters.CreatesRefused);
    }

    [Fact]
    public async Task The_batch_object_has_the_documented_fields()
    {
        await using var kit = await BatchApiKit.StartAsync();
        var file = await kit.OpenAi.UploadBatchFileAsync([BatchApiKit.ChatLine(1)], "one.jsonl");
        Assert.Equal("batch", file.Purpose);
        Assert.True(file.Bytes > 0);
        var created = await kit.OpenAi.CreateAsync(file.Id, "/v1/chat/completions", null);
        using var document = JsonDocument.Parse(await kit.Http.GetStringAsync(new Uri(kit.Simulator.BaseAddress, "v1/batches/" + created.Id)));
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        string[] documented = ["id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id",
            "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at",
            "request_counts", "metadata"];
        Assert.Empty(documented.Except(names));
        Assert.Equal("batch", document.RootElement.GetProperty("object").GetString());
        var input = await kit.Http.GetStringAsync(new Uri(kit.Simulator.BaseAddress, $"v1/files/{file.Id}/content"));
        Assert.StartsWith("""{"custom_id":"task-1-a1","method":"POST","url":"/v1/chat/completions","body":{""", input);
    }
}
