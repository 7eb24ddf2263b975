using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using System.Net;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>Quota, billing and key errors are not rate limits: the batch stops at once, nothing fails, resume carries on.</summary>
public class AccountErrorTests
{
    private const string OpenAiQuota = """{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""";

    [Fact]
    public async Task A_spent_quota_interrupts_the_batch_at_once_and_resume_completes_every_task_once()
    {
        using var db = new TempDatabase();
        var (tem, batch, refusals, completions) = await RunUntilAccountErrorAsync(db, ProviderAccountErrorKind.Quota, tasks: 300, successes: 40);
        await using (tem)
        {
            Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
            var record = Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id));
            Assert.Equal(InterruptionKind.Quota, record.Kind);
            Assert.StartsWith("The provider answered 429: the account's quota or spend limit is used up. Raise the limit or add credit, then call Batches.ResumeAsync", record.Reason);
            var stats = await tem.Batches.GetStatsAsync(batch.Id);
            Assert.Equal(0, stats.Failed);
            Assert.Equal(0, stats.Running);
            Assert.Equal(300, stats.Pending + stats.Completed);
            Assert.InRange(refusals.Value, 1, 16 + 5); // concurrency + 5
            // Refused runs used no attempt: every pending task is back at attempt 0.
            var pending = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = TemTaskStatus.Pending, Limit = 1000 });
            Assert.All(pending, t => Assert.Equal(0, t.Attempt));

            AccountOk = true;
            await tem.Batches.ResumeAsync(batch.Id);
            var done = await tem.WaitForBatchAsync(batch.Id, Types.Timeout(60));
            Assert.Equal(new BatchStats(0, 0, 300, 0, 0), done);
            Assert.Equal(300, completions.Count);
            Assert.All(completions.Values, n => Assert.Equal(1, n));
        }
    }

    [Theory]
    [InlineData(ProviderAccountErrorKind.Credentials, InterruptionKind.Credentials)]
    [InlineData(ProviderAccountErrorKind.Billing, InterruptionKind.Billing)]
    public async Task A_refused_key_or_billing_interrupts_with_its_own_kind(ProviderAccountErrorKind kind, InterruptionKind expected)
    {
        using var db = new TempDatabase();
        var (tem, batch, refusals, _) = await RunUntilAccountErrorAsync(db, kind, tasks: 100, successes: 0);
        await using (tem)
        {
            Assert.Equal(expected, Assert.Single(await tem.Batches.GetInterruptionsAsync(batch.Id)).Kind);
            var stats = await tem.Batches.GetStatsAsync(batch.Id);
            Assert.Equal(new BatchStats(100, 0, 0, 0, 0), stats);
            Assert.InRange(refusals.Value, 1, 21);
        }
    }

    [Fact]
    public async Task With_the_option_off_an_account_error_fails_its_task_at_once()
    {
        using var db = new TempDatabase();
        var calls = 0;
        await using var tem = db.Open(o => { o.Concurrency = 1; o.InterruptOnAccountErrors = false; }, Types.EchoRegistry((p, _, _) =>
        {
            Interlocked.Increment(ref calls);
            throw ProviderAccountErrors.From(HttpStatusCode.Unauthorized, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""")!;
        }));
        var batch = await tem.Batches.CreateAsync("off", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        Assert.Equal(new BatchStats(0, 0, 0, 3, 0), await tem.WaitForBatchAsync(batch.Id, Types.Timeout()));
        Assert.Equal(3, calls);
        var task = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
        Assert.Contains("the API key was refused", task.Error);
        Assert.Contains("InterruptOnAccountErrors is off", task.Error);
    }

    [Theory]
    [InlineData(429, OpenAiQuota, ProviderAccountErrorKind.Quota)]
    [InlineData(429, """{"error":{"message":"Your account is not active, please check your billing details on our website.","type":"billing_not_active","code":"billing_not_active"}}""", ProviderAccountErrorKind.Billing)]
    [InlineData(400, """{"error":{"message":"Billing hard limit has been reached","type":"invalid_request_error","code":"billing_hard_limit_reached"}}""", ProviderAccountErrorKind.Quota)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}""", ProviderAccountErrorKind.Billing)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2026-01-01 at 00:00 UTC."}}""", ProviderAccountErrorKind.Quota)]
    [InlineData(402, """{"type":"error","error":{"type":"billing_error","message":"Payment issue."}}""", ProviderAccountErrorKind.Billing)]
    [InlineData(401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""", ProviderAccountErrorKind.Credentials)]
    [InlineData(403, """{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}""", ProviderAccountErrorKind.Credentials)]
    [InlineData(401, null, ProviderAccountErrorKind.Credentials)]
    public void Account_errors_are_told_by_status_and_body(int status, string? body, ProviderAccountErrorKind expected)
        => Assert.Equal(expected, ProviderAccountErrors.Classify((HttpStatusCode)status, body));

    [Theory]
    // OpenAI's ordinary rate-limit message points at the billing page: still a rate limit.
    [InlineData(429, """{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3. Add a payment method to your account to increase your rate limit. Visit https://platform.openai.com/account/billing to add a payment method.","type":"requests","code":"rate_limit_exceeded"}}""")]
    [InlineData(429, """{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}""")]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: 100000 > 8192, which is the maximum allowed"}}""")]
    [InlineData(500, "quota")]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")]
    public void Rate_limits_and_ordinary_errors_are_no_account_errors(int status, string body)
        => Assert.Null(ProviderAccountErrors.Classify((HttpStatusCode)status, body));

    private static bool AccountOk;

    private static async Task<(TemEngine Tem, Batch Batch, StrongBox<int> Refusals, ConcurrentDictionary<int, int> Completions)> RunUntilAccountErrorAsync(
        TempDatabase db, ProviderAccountErrorKind kind, int tasks, int successes)
    {
        AccountOk = false;
        var refusals = new StrongBox<int>();
        var completions = new ConcurrentDictionary<int, int>();
        var served = 0;
        var body = kind switch
        {
            ProviderAccountErrorKind.Quota => OpenAiQuota,
            ProviderAccountErrorKind.Billing => """{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}""",
            _ => """{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}""",
        };
        var status = kind switch { ProviderAccountErrorKind.Quota => 429, ProviderAccountErrorKind.Billing => 400, _ => 401 };
        var tem = db.Open(o => { o.Concurrency = 16; o.PollInterval = TimeSpan.FromMilliseconds(50); }, Types.EchoRegistry(async (p, _, ct) =>
        {
            await Task.Delay(5, ct);
            if (!AccountOk && Interlocked.Increment(ref served) > successes)
            {
                Interlocked.Increment(ref refusals.Value);
                throw ProviderAccountErrors.From((HttpStatusCode)status, body)!;
            }

            completions.AddOrUpdate(p.N, 1, (_, n) => n + 1);
            return new EchoResult(p.N, "");
        }));
        var batch = await tem.Batches.CreateAsync("account-" + kind, "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(tasks));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout(60));
        return (tem, batch, refusals, completions);
    }
}
