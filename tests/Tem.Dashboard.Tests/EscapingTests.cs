using System.Text.Json;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>Batch codes, types, payloads and errors full of markup reach the page as text, never as HTML.</summary>
public sealed class EscapingTests
{
    [Fact]
    public async Task Hostile_payloads_errors_and_codes_are_encoded_on_every_page()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("<b>code</b>" + DashboardHost.HostileText, 2, failing: new HashSet<int> { 1 }, text: _ => DashboardHost.HostileText);
        await host.RunToEndAsync(batch.Id);
        using var http = host.Client();
        var tasks = await host.Engine.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id });
        var failed = tasks.Single(t => t.Status == TemTaskStatus.Failed);
        Assert.Contains("<script>", failed.Error);

        var pages = new[]
        {
            await http.GetStringAsync($"tem/batches/{batch.Id}"),
            await http.GetStringAsync($"tem/tasks/{failed.Id}"),
            await http.GetStringAsync($"tem/tasks/{tasks.Single(t => t.Status == TemTaskStatus.Completed).Id}"),
        };
        foreach (var html in pages)
        {
            Assert.DoesNotContain("<script>window", html);
            Assert.DoesNotContain("<img", html);
            Assert.DoesNotContain("<b>code", html);
        }

        Assert.Contains("&lt;b&gt;code&lt;/b&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;", pages[0]);
        Assert.Contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=\\&quot;window.__pwned=2\\&quot;&gt;", pages[1]);
        Assert.Contains("id=\"task-error\">Tem.NonRetryableException: Document 1 could not be read: fail &lt;script&gt;", pages[1]);

        // The live data is JSON: '<' arrives escaped, and the page script writes it with textContent.
        var json = await PageTests.WaitForAsync(http, $"tem/api/batches/{batch.Id}", s => s.Contains("\"failed\":1", StringComparison.Ordinal));
        Assert.DoesNotContain("<script>", json);
        using var document = JsonDocument.Parse(json);
        Assert.Contains("<script>window.__pwned=1</script>", document.RootElement.GetProperty("errors")[0].GetProperty("error").GetString());
        Assert.StartsWith("<b>code</b>", document.RootElement.GetProperty("batch").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_path_with_markup_is_encoded_in_the_404_page()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        var response = await http.GetAsync("tem/%3Cimg%20src=x%20onerror=alert(1)%3E");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("no page at /tem/&lt;img src=x onerror=alert(1)&gt;", html);
    }
}
