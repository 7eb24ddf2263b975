using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>`tem dashboard` as a real process on a real database: where it listens and when it allows writes.</summary>
public sealed partial class CliDashboardTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-dashboard-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [GeneratedRegex(@"on (http://[^/\s]+)/ \(Ctrl\+C to stop\)")]
    private static partial Regex Listening();

    private async Task<long> SeedAsync()
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath });
        var batch = await tem.Batches.CreateAsync("cli", "test-run");
        await tem.Tasks.EnqueueAsync(batch.Id, DashboardHost.DocType, new Doc(1, "one"));
        return batch.Id;
    }

    /// <summary>Starts `tem dashboard`, waits for the line with its address, and returns the process and what it printed.</summary>
    private async Task<(Process Process, Uri Address, string Output)> StartAsync(IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tem.dll"));
        start.ArgumentList.Add("dashboard");
        start.ArgumentList.Add(DbPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("TEM_DASHBOARD_PASSWORD");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var output = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.AppendLine(line);
            if (Listening().Match(line) is { Success: true } match)
            {
                // Read the notes that follow the address line (they are printed right after it).
                await Task.WhenAny(Task.Delay(300), Task.Run(async () => output.AppendLine(await process.StandardOutput.ReadLineAsync())));
                return (process, new Uri(match.Groups[1].Value + "/"), output.ToString());
            }
        }

        throw new InvalidOperationException($"tem dashboard exited without listening: {output}{await process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Stops it as a service manager or Ctrl+C would: SIGTERM, then it must exit cleanly by itself.</summary>
    private static async Task StopAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("tem dashboard did not stop within 30 s of SIGTERM.");
        }

        Assert.Equal(0, process.ExitCode);
        process.Dispose();
    }

    private static async Task<(HttpStatusCode, string)> PostAsync(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent([]) };
        request.Headers.Add("X-Tem-Token", token);
        var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Token(string html) => Regex.Match(html, "tem-token\" content=\"([0-9a-f]{64})").Groups[1].Value;

    [Fact]
    public async Task By_default_it_listens_on_loopback_only_and_serves_write_actions_there()
    {
        var batchId = await SeedAsync();
        var (process, address, _) = await StartAsync(null, "--port", "0");
        try
        {
            Assert.Equal("127.0.0.1", address.Host);
            using var http = new HttpClient { BaseAddress = address };
            var page = await http.GetStringAsync($"batches/{batchId}");
            Assert.Contains("data-can-write=\"true\"", page);
            Assert.Contains("data-action=\"retry-failed\"", page);
            var (status, body) = await PostAsync(http, $"batches/{batchId}/interrupt", Token(page));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("Interrupted.", body);

            // Nothing answers on the machine's other addresses.
            if (SteeringTests.NonLoopbackAddress() is { } other)
            {
                using var remote = new HttpClient { BaseAddress = new Uri($"http://{other}:{address.Port}/"), Timeout = TimeSpan.FromSeconds(10) };
                await Assert.ThrowsAsync<HttpRequestException>(() => remote.GetStringAsync(""));
            }
        }
        finally
        {
            await StopAsync(process);
        }
    }

    [Fact]
    public async Task On_a_non_loopback_address_without_a_password_it_is_read_only()
    {
        var batchId = await SeedAsync();
        var (process, address, output) = await StartAsync(null, "--port", "0", "--host", "0.0.0.0");
        try
        {
            Assert.Contains("Write actions are off: 0.0.0.0 is not a loopback address. Set TEM_DASHBOARD_PASSWORD", output);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{address.Port}/") };
            var page = await http.GetStringAsync($"batches/{batchId}");
            Assert.Contains("data-can-write=\"false\"", page);
            Assert.DoesNotContain("data-action=", page);
            var (status, body) = await PostAsync(http, $"batches/{batchId}/cancel", new string('a', 64));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("read-only", body);
        }
        finally
        {
            await StopAsync(process);
        }

        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath });
        Assert.Equal(BatchStatus.Active, (await tem.Batches.GetAsync(batchId)).Status);
    }

    [Fact]
    public async Task With_a_password_every_page_asks_for_it_and_writes_are_allowed_on_any_address()
    {
        var batchId = await SeedAsync();
        var (process, address, output) = await StartAsync(new Dictionary<string, string> { ["TEM_DASHBOARD_PASSWORD"] = "s3cret" }, "--port", "0", "--host", "0.0.0.0");
        try
        {
            Assert.Contains("Every page asks for the password in TEM_DASHBOARD_PASSWORD", output);
            var root = new Uri($"http://127.0.0.1:{address.Port}/");
            using var anonymous = new HttpClient { BaseAddress = root };
            var refused = await anonymous.GetAsync("");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);

            using var wrong = new HttpClient { BaseAddress = root };
            wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("me:guess")));
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("")).StatusCode);

            using var http = new HttpClient { BaseAddress = root };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("me:s3cret")));
            var page = await http.GetStringAsync($"batches/{batchId}");
            Assert.Contains("data-can-write=\"true\"", page);
            var (status, body) = await PostAsync(http, $"batches/{batchId}/cancel", Token(page));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("Cancelled; 1 tasks cancelled.", body);
        }
        finally
        {
            await StopAsync(process);
        }
    }

    [Fact]
    public async Task A_missing_database_or_a_bad_address_is_one_line_and_exit_1()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tem.dll"));
        foreach (var arg in new[] { "dashboard", Path.Combine(_folder, "missing.db"), "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(start)!)
        {
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("missing.db' not found.", error);
        }

        await SeedAsync();
        start.ArgumentList[2] = DbPath;
        start.ArgumentList.Add("--host");
        start.ArgumentList.Add("example.org");
        using (var process = Process.Start(start)!)
        {
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.Equal(1, process.ExitCode);
            Assert.Equal("tem: --host must be an IP address such as 127.0.0.1 or 0.0.0.0; got 'example.org'.", error.Trim());
        }
    }
}
