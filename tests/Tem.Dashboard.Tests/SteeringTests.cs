using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>Write actions: the token, the loopback rule, read-only mode, and what each action does to the database.</summary>
public sealed partial class SteeringTests
{
    [GeneratedRegex("<meta name=\"tem-token\" content=\"([0-9a-f]{64})\">")]
    private static partial Regex TokenMeta();

    internal static async Task<string> TokenAsync(HttpClient http)
        => TokenMeta().Match(await http.GetStringAsync("tem/")).Groups[1].Value;

    private static HttpRequestMessage Post(string path, string? token, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form ?? []) };
        if (token is not null)
        {
            request.Headers.Add("X-Tem-Token", token);
        }

        return request;
    }

    [Fact]
    public async Task Retry_failed_needs_the_token_and_then_returns_failed_tasks_to_pending()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("retry", 10, failing: new HashSet<int> { 2, 5, 9 });
        Assert.Equal(3, (await host.RunToEndAsync(batch.Id)).Failed);
        using var http = host.Client();

        var missing = await http.SendAsync(Post($"tem/batches/{batch.Id}/retry-failed", null));
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Contains("lacks this dashboard's token", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        var wrong = await http.SendAsync(Post($"tem/batches/{batch.Id}/retry-failed", new string('0', 64)));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(3, (await host.Engine.Batches.GetStatsAsync(batch.Id)).Failed);

        var ok = await http.SendAsync(Post($"tem/batches/{batch.Id}/retry-failed", await TokenAsync(http)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var answer = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        Assert.Equal("Returned 3 failed tasks to pending.", answer.RootElement.GetProperty("message").GetString());
        var stats = await host.Engine.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal((10L, 0L), (stats.Completed, stats.Failed));
    }

    [Fact]
    public async Task The_token_is_also_accepted_as_a_form_field()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("form", 1);
        using var http = host.Client();
        var token = await TokenAsync(http);
        var response = await http.SendAsync(Post($"tem/batches/{batch.Id}/interrupt", null, [new("token", token), new("reason", "<i>maintenance</i>")]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var interruption = (await host.Engine.Batches.GetInterruptionsAsync(batch.Id)).Single();
        Assert.Equal("<i>maintenance</i>", interruption.Reason);
        Assert.Equal(BatchStatus.Interrupted, (await host.Engine.Batches.GetAsync(batch.Id)).Status);
    }

    [Fact]
    public async Task Interrupt_resume_and_cancel_change_the_batch_and_say_so()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("steer", 5);
        using var http = host.Client();
        var token = await TokenAsync(http);
        async Task<(HttpStatusCode, string)> Act(string action)
        {
            var response = await http.SendAsync(Post($"tem/batches/{batch.Id}/{action}", token));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.OK, "{\"message\":\"Interrupted.\"}"), await Act("interrupt"));
        Assert.Equal((HttpStatusCode.OK, "{\"message\":\"The batch was not active; nothing changed.\"}"), await Act("interrupt"));
        Assert.Equal(HttpStatusCode.OK, (await Act("resume")).Item1);
        Assert.Equal(BatchStatus.Active, (await host.Engine.Batches.GetAsync(batch.Id)).Status);
        Assert.Equal((HttpStatusCode.OK, "{\"message\":\"Cancelled; 5 tasks cancelled.\"}"), await Act("cancel"));
        var (status, body) = await Act("retry-failed");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("cancelled", body);
        Assert.Equal(HttpStatusCode.NotFound, (await Act("explode")).Item1);
        var unknown = await http.SendAsync(Post("tem/batches/777777/cancel", token));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No batch has id 777777", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_failed_task_page_shows_its_attempts_and_retries_it_alone()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("one-task", 3, failing: new HashSet<int> { 2 });
        await host.RunToEndAsync(batch.Id);
        using var http = host.Client();
        var failed = (await host.Engine.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = TemTaskStatus.Failed })).Single();
        var page = await http.GetStringAsync($"tem/tasks/{failed.Id}");
        Assert.Contains("data-action=\"retry\"", page);
        Assert.DoesNotContain("data-action=\"rerun\"", page);
        Assert.Contains("could not be read", page);

        var token = await TokenAsync(http);
        var response = await http.SendAsync(Post($"tem/tasks/{failed.Id}/retry", token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Returned the task to pending.", await response.Content.ReadAsStringAsync());
        await host.Engine.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(TemTaskStatus.Completed, (await host.Engine.Tasks.GetAsync(failed.Id)).Status);

        // Its failed first run stays in the history, with the stack trace.
        page = await http.GetStringAsync($"tem/tasks/{failed.Id}");
        Assert.Contains("id=\"attempts\"", page);
        Assert.Contains("NonRetryableException", page);
        Assert.Contains("data-action=\"rerun\"", page);

        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(Post($"tem/tasks/{failed.Id}/rerun", null))).StatusCode);
        var unknown = await http.SendAsync(Post("tem/tasks/888888/retry", token));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No task has id 888888", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_read_only_dashboard_shows_no_actions_and_refuses_writes()
    {
        await using var host = await DashboardHost.StartAsync(o => o.ReadOnly = true);
        var batch = await host.SeedAsync("ro", 1);
        using var http = host.Client();
        var page = await http.GetStringAsync($"tem/batches/{batch.Id}");
        Assert.Contains("data-can-write=\"false\"", page);
        Assert.DoesNotContain("tem-token", page);
        Assert.DoesNotContain("data-action=", page);
        var response = await http.SendAsync(Post($"tem/batches/{batch.Id}/cancel", "whatever"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("read-only", await response.Content.ReadAsStringAsync());
        Assert.Equal(BatchStatus.Active, (await host.Engine.Batches.GetAsync(batch.Id)).Status);
    }

    [Fact]
    public async Task Clients_that_are_not_loopback_get_no_write_actions_unless_the_host_authorises_them()
    {
        var address = NonLoopbackAddress();
        if (address is null)
        {
            Assert.Skip("This machine has no non-loopback IPv4 address to connect from.");
        }

        // Listening on every address: a client connecting through the machine's own network address is not loopback.
        await using var host = await DashboardHost.StartAsync(o => o.AuthorizeWrite = http => http.Request.Headers["X-Test-Role"] == "admin", IPAddress.Any);
        var batch = await host.SeedAsync("remote", 2);
        using var loopback = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.BaseAddress.Port}/") };
        using var remote = new HttpClient { BaseAddress = new Uri($"http://{address}:{host.BaseAddress.Port}/") };
        var token = await TokenAsync(loopback);
        Assert.NotEmpty(token);

        var page = await remote.GetStringAsync($"tem/batches/{batch.Id}");
        Assert.Contains("data-can-write=\"false\"", page);
        Assert.DoesNotContain("tem-token", page);
        var refused = await remote.SendAsync(Post($"tem/batches/{batch.Id}/cancel", token));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("loopback clients only", await refused.Content.ReadAsStringAsync());
        Assert.Equal(BatchStatus.Active, (await host.Engine.Batches.GetAsync(batch.Id)).Status);

        using var admin = Post($"tem/batches/{batch.Id}/cancel", token);
        admin.Headers.Add("X-Test-Role", "admin");
        Assert.Equal(HttpStatusCode.OK, (await remote.SendAsync(admin)).StatusCode);
        Assert.Equal(BatchStatus.Cancelled, (await host.Engine.Batches.GetAsync(batch.Id)).Status);
    }

    internal static IPAddress? NonLoopbackAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
