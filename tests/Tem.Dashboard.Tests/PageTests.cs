using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>The pages, assets, JSON snapshots and 404s, over real HTTP on 127.0.0.1.</summary>
public sealed class PageTests
{
    [Fact]
    public async Task Overview_serves_the_frame_with_its_token_and_a_strict_content_security_policy()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        var response = await http.GetAsync("tem/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-stream=\"/tem/events\"", html);
        Assert.Contains("data-can-write=\"true\"", html);
        Assert.Matches("<meta name=\"tem-token\" content=\"[0-9a-f]{64}\">", html);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());

        // The prefix without its slash serves the same page.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("tem")).StatusCode);
    }

    [Fact]
    public async Task Assets_are_served_from_the_assembly_with_their_types_and_an_etag()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        foreach (var (name, type) in new[] { ("dashboard.js", "text/javascript"), ("dashboard.css", "text/css"), ("favicon.svg", "image/svg+xml") })
        {
            var response = await http.GetAsync($"tem/assets/{name}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, name);
            using var again = new HttpRequestMessage(HttpMethod.Get, $"tem/assets/{name}");
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        }

        // The script never parses HTML: everything from the database goes in as text.
        var script = await http.GetStringAsync("tem/assets/dashboard.js");
        Assert.DoesNotContain("innerHTML", script);
        Assert.DoesNotContain("insertAdjacentHTML", script);
    }

    [Fact]
    public async Task Overview_snapshot_lists_batches_with_counts_and_the_rate_limits_in_force()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("nightly", 20, failing: new HashSet<int> { 3, 7 });
        await host.RunToEndAsync(batch.Id);
        using var http = host.Client();
        using var json = JsonDocument.Parse(await WaitForAsync(http, "tem/api/overview", s => s.Contains("\"completed\":18", StringComparison.Ordinal)));
        var row = json.RootElement.GetProperty("batches")[0];
        Assert.Equal("nightly", row.GetProperty("code").GetString());
        Assert.Equal("completed", row.GetProperty("status").GetString());
        Assert.Equal(18, row.GetProperty("counts").GetProperty("completed").GetInt64());
        Assert.Equal(2, row.GetProperty("counts").GetProperty("failed").GetInt64());
        var pacing = json.RootElement.GetProperty("pacing");
        Assert.Equal(50, pacing.GetProperty("requests")[0].GetProperty("permits").GetInt64());
        Assert.Equal(2000, pacing.GetProperty("requests")[1].GetProperty("permits").GetInt64());
        Assert.True(json.RootElement.GetProperty("worker").GetProperty("running").GetBoolean());
    }

    [Fact]
    public async Task Batch_snapshot_shows_types_running_and_failures_grouped_by_error()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("grouped", 12, failing: new HashSet<int> { 2, 4 }, text: _ => "same text");
        await host.RunToEndAsync(batch.Id);
        using var http = host.Client();
        using var json = JsonDocument.Parse(await WaitForAsync(http, $"tem/api/batches/{batch.Id}", s => s.Contains("\"failed\":2", StringComparison.Ordinal)));
        var types = json.RootElement.GetProperty("types");
        Assert.Equal("doc", types[0].GetProperty("type").GetString());
        Assert.Equal(10, types[0].GetProperty("counts").GetProperty("completed").GetInt64());
        var errors = json.RootElement.GetProperty("errors");
        Assert.Equal(2, errors.GetArrayLength());
        Assert.All(errors.EnumerateArray(), e => Assert.Equal(1, e.GetProperty("tasks").GetInt64()));
        Assert.Contains("could not be read", errors[0].GetProperty("error").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("running").GetArrayLength());
    }

    [Theory]
    [InlineData("tem/batches/999999", "No batch has id 999999")]
    [InlineData("tem/tasks/999999", "No task has id 999999")]
    [InlineData("tem/batches/not-a-number", "no page at /tem/batches/not-a-number")]
    [InlineData("tem/assets/missing.js", "no page at /tem/assets/missing.js")]
    [InlineData("tem/no/such/page", "no page at /tem/no/such/page")]
    public async Task Unknown_ids_and_paths_give_a_404_page(string path, string message)
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Not found</h1>", html);
        Assert.Contains(message, html);
    }

    [Fact]
    public async Task Unknown_batch_ids_give_404s_from_the_json_and_event_endpoints()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        foreach (var path in new[] { "tem/api/batches/424242", "tem/events/batches/424242" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("No batch has id 424242", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Task_page_shows_payload_result_and_times()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("one", 1);
        await host.RunToEndAsync(batch.Id);
        using var http = host.Client();
        var task = (await host.Engine.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id })).Single();
        var html = await http.GetStringAsync($"tem/tasks/{task.Id}");
        Assert.Contains($"<h1>Task {task.Id}</h1>", html);
        Assert.Contains("&quot;Text&quot;: &quot;rewritten 1&quot;", html);
        Assert.Matches(new Regex("<dt>Attempt</dt><dd>1 of 1</dd>"), html);
        Assert.Contains($"href=\"/tem/batches/{batch.Id}\">one</a>", html);
    }

    [Fact]
    public void Bad_options_are_refused_with_a_message_that_says_what_to_change()
    {
        var app = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder().Build();
        var ex = Assert.Throws<TemConfigurationException>(() => app.MapTemDashboard("/tem", o => o.UpdateInterval = TimeSpan.FromMilliseconds(10)));
        Assert.Contains("UpdateInterval must be at least 100 ms; got 10 ms", ex.Message);
        var prefix = Assert.Throws<ArgumentException>(() => app.MapTemDashboard("tem"));
        Assert.Contains("must be a path starting with '/'", prefix.Message);
    }

    [Fact]
    public void A_dashboard_without_an_engine_says_how_to_register_one()
    {
        var app = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder().Build();
        var ex = Assert.Throws<TemConfigurationException>(() => app.MapTemDashboard("/tem"));
        Assert.Contains("found no TemEngine: register one with services.AddTem(...) or set TemDashboardOptions.Engine", ex.Message);
    }

    /// <summary>Polls until the sampler has seen what the test wrote (it reads on its own interval).</summary>
    internal static async Task<string> WaitForAsync(HttpClient http, string path, Func<string, bool> ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var text = await http.GetStringAsync(path);
            if (ready(text))
            {
                return text;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} never showed what the test waited for; last: {text}");
            await Task.Delay(100);
        }
    }
}
