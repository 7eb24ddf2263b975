using System.Text.Json;
using Tem.ProviderBatches;
using Xunit;

namespace Tem.Provider.Tests.Batches;

/// <summary>The simulator's Anthropic Message Batches API, driven through Tem's own batch client over loopback HTTP.</summary>
[Collection(nameof(ProviderTests))]
public sealed class AnthropicBatchApiTests
{
    [Fact]
    public async Task A_batch_runs_in_progress_to_ended_with_reordered_results_errors_and_usage()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.LinesPerSecond = 1000;
            o.LineErrorRate = 0.05;
        });
        // Every tenth request has no model: it errors as invalid, on top of the 5% drawn api errors.
        var requests = Enumerable.Range(0, 300).Select(n => BatchApiKit.MessageRequest(n, n % 10 == 0 ? null : "claude-haiku-4-5")).ToList();
        var created = await kit.Anthropic.CreateAsync(requests);
        Assert.Equal("in_progress", created.ProcessingStatus);
        Assert.Null(created.ResultsUrl);
        var counts = created.RequestCounts; // a loaded machine may answer after the first lines finished
        Assert.Equal(300, counts.Processing + counts.Succeeded + counts.Errored);
        Assert.True(counts.Processing > 0);

        var early = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.Anthropic.ReadResultsAsync(created).ToListAsync().AsTask());
        Assert.Contains("has no results_url yet", early.Message);

        var ended = await BatchApiKit.PollAsync(() => kit.Anthropic.GetAsync(created.Id), b => b.IsEnded);
        Assert.NotNull(ended.EndedAt);
        Assert.Equal(0, ended.RequestCounts.Processing);
        var results = await kit.Anthropic.ReadResultsAsync(ended).ToListAsync();
        Assert.Equal(requests.Select(r => r.CustomId).Order(), results.Select(r => r.CustomId).Order());
        Assert.NotEqual(requests.Select(r => r.CustomId), results.Select(r => r.CustomId));
        Assert.Equal(ended.RequestCounts.Succeeded, results.Count(r => r.Result.Type == "succeeded"));
        Assert.Equal(ended.RequestCounts.Errored, results.Count(r => r.Result.Type == "errored"));
        Assert.InRange(ended.RequestCounts.Errored, 30, 70);
        Assert.All(results.Where(r => r.CustomId.EndsWith("0-a1", StringComparison.Ordinal) && r.CustomId.Length > 0), r =>
        {
            Assert.Equal("errored", r.Result.Type);
            Assert.Equal("invalid_request_error", r.Result.Error!.Value.GetProperty("error").GetProperty("type").GetString());
        });
        Assert.All(results.Where(r => r.Result.Type == "succeeded"), r =>
        {
            var message = r.Result.Message!.Value;
            Assert.Equal($"ok: doc-{r.CustomId.Split('-')[1]}", message.GetProperty("content")[0].GetProperty("text").GetString());
            Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        });
        Assert.All(requests, r => Assert.Equal(1, kit.Counters.Submissions(r.CustomId)));
    }

    [Fact]
    public async Task A_cancel_goes_canceling_then_ended_with_the_unfinished_requests_canceled()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.LinesPerSecond = 200;
            o.CancellingFor = TimeSpan.FromMilliseconds(500);
        });
        var created = await kit.Anthropic.CreateAsync(Enumerable.Range(0, 2000).Select(n => BatchApiKit.MessageRequest(n)).ToList());
        var canceling = await kit.Anthropic.CancelAsync(created.Id);
        Assert.Equal("canceling", canceling.ProcessingStatus);
        Assert.NotNull(canceling.CancelInitiatedAt);

        var ended = await BatchApiKit.PollAsync(() => kit.Anthropic.GetAsync(created.Id), b => b.IsEnded);
        Assert.True(ended.RequestCounts.Canceled > 1000);
        var results = await kit.Anthropic.ReadResultsAsync(ended).ToListAsync();
        Assert.Equal(ended.RequestCounts.Canceled, results.Count(r => r.Result.Type == "canceled"));
        Assert.Equal(2000, results.Count);

        var again = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.Anthropic.CancelAsync(created.Id));
        Assert.Contains("has ended and can no longer be canceled", again.Message);
    }

    [Fact]
    public async Task Requests_not_done_by_the_deadline_end_expired()
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.LinesPerSecond = 100;
            o.ExpiresAfter = TimeSpan.FromSeconds(1);
        });
        var created = await kit.Anthropic.CreateAsync(Enumerable.Range(0, 400).Select(n => BatchApiKit.MessageRequest(n)).ToList());
        var ended = await BatchApiKit.PollAsync(() => kit.Anthropic.GetAsync(created.Id), b => b.IsEnded);
        Assert.InRange(ended.RequestCounts.Expired, 250, 350);
        Assert.Equal(400, ended.RequestCounts.Succeeded + ended.RequestCounts.Expired);
        var results = await kit.Anthropic.ReadResultsAsync(ended).ToListAsync();
        Assert.Equal(ended.RequestCounts.Expired, results.Count(r => r.Result.Type == "expired"));
    }

    [Theory]
    [InlineData("too many", 400, "at most 10 are allowed")]
    [InlineData("duplicate", 400, "custom_id must be unique within the batch")]
    [InlineData("bad id", 400, "must match ^[a-zA-Z0-9_-]{1,64}$")]
    [InlineData("too large", 413, "exceeds the maximum of 20000 bytes")]
    public async Task A_create_that_breaks_a_documented_limit_is_refused_and_submits_nothing(string breach, int status, string words)
    {
        await using var kit = await BatchApiKit.StartAsync(o =>
        {
            o.AnthropicMaxRequests = 10;
            o.AnthropicMaxBytes = 20_000;
        });
        var requests = breach switch
        {
            "too many" => Enumerable.Range(0, 11).Select(n => BatchApiKit.MessageRequest(n)).ToList(),
            "duplicate" => [BatchApiKit.MessageRequest(1), BatchApiKit.MessageRequest(2, customId: "task-1-a1")],
            "bad id" => [BatchApiKit.MessageRequest(1, customId: "task 1")],
            _ => new List<AnthropicBatchRequest> { new("big", BatchApiKit.Parse($$"""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"{{new string('x', 30_000)}}"}]}""")) },
        };
        var refused = await Assert.ThrowsAsync<ProviderBatchException>(() => kit.Anthropic.CreateAsync(requests));
        Assert.Equal(status, refused.StatusCode);
        Assert.Contains(words, refused.Message);
        Assert.Equal(0, kit.Counters.BatchesCreated);
        Assert.Equal(0, kit.Counters.DistinctSubmitted);
    }

    [Fact]
    public async Task The_list_pages_newest_first_with_after_id()
    {
        await using var kit = await BatchApiKit.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await kit.Anthropic.CreateAsync([BatchApiKit.MessageRequest(i)])).Id);
        }

        var first = await kit.Anthropic.ListAsync(limit: 2);
        Assert.True(first.HasMore);
        Assert.Equal([ids[4], ids[3]], first.Data.Select(b => b.Id));
        Assert.Equal(Enumerable.Reverse(ids), await kit.Anthropic.ListAllAsync(pageSize: 2).Select(b => b.Id).ToListAsync());
        var last = await kit.Anthropic.ListAsync(ids[1], 2);
        Assert.False(last.HasMore);
        Assert.Equal(ids[0], last.Data.Single().Id);
    }

    [Fact]
    public async Task The_batch_object_has_the_documented_fields()
    {
        await using var kit = await BatchApiKit.StartAsync();
        var created = await kit.Anthropic.CreateAsync([BatchApiKit.MessageRequest(1)]);
        using var document = JsonDocument.Parse(await kit.Http.GetStringAsync(new Uri(kit.Simulator.BaseAddress, "v1/messages/batches/" + created.Id)));
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        string[] documented = ["id", "type", "processing_status", "request_counts", "ended_at", "created_at", "expires_at", "cancel_initiated_at", "archived_at", "results_url"];
        Assert.Empty(documented.Except(names));
        Assert.Equal("message_batch", document.RootElement.GetProperty("type").GetString());
        string[] counts = ["processing", "succeeded", "errored", "canceled", "expired"];
        Assert.Equal(counts, document.RootElement.GetProperty("request_counts").EnumerateObject().Select(p => p.Name));
    }
}
