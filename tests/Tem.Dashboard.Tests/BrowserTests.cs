using System.Diagnostics;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>
/// The page in a real browser: Debian's Chromium driven by playwright-core (tests/dashboard-browser) against a live run
/// in this process. Skipped when Chromium, node or the npm package are missing — unless TEM_BROWSER_TESTS=1 (CI), where
/// that is a failure.
/// </summary>
public sealed class BrowserTests(ITestOutputHelper output)
{
    private static readonly string Chromium = Environment.GetEnvironmentVariable("TEM_CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public async Task In_chromium_progress_moves_and_retry_failed_changes_the_counts()
    {
        var script = FindScript();
        var missing = Missing(script);
        if (missing is not null)
        {
            Assert.True(Environment.GetEnvironmentVariable("TEM_BROWSER_TESTS") != "1", $"The browser test cannot run: {missing}");
            Assert.Skip($"{missing} (set TEM_BROWSER_TESTS=1 to make this a failure)");
        }

        var screenshots = Environment.GetEnvironmentVariable("TEM_SCREENSHOTS") ?? Path.Combine(Path.GetTempPath(), "tem-dashboard-screenshots");
        Directory.CreateDirectory(screenshots);
        output.WriteLine($"screenshots: {screenshots}");

        // The page must see the run move, however slow the machine: the first 30 tasks (with the 5 failures) run at once,
        // the other 270 only when the browser has opened the batch page — then 100 ms each, two at a time, about 14 s.
        await using var host = await DashboardHost.StartAsync(handlerDelay: TimeSpan.FromMilliseconds(100), concurrency: 2, holdAfter: 30);
        // First, so that its two tasks are claimed before the held documents take both slots: a small batch that ends
        // with one failed task. Its badge must say so.
        var ended = await host.SeedAsync("browser-ended", 2, new HashSet<int> { 2 });
        var failing = new HashSet<int> { 5, 10, 15, 20, 25 };
        var batch = await host.SeedAsync("browser-run", 300, failing, n => n == 25 ? DashboardHost.HostileText : $"document {n}");
        // Tasks of a type no worker handles: the overview must warn about them.
        var orphans = await host.Engine.Batches.CreateAsync("browser-orphans", "t");
        await host.Engine.Tasks.EnqueueManyAsync(orphans.Id, new TaskType<Doc>("orphan", TestJson.Default.Doc), [new Doc(1, "a"), new Doc(2, "b"), new Doc(3, "c")]);
        await host.Engine.Worker.StartAsync(TestContext.Current.CancellationToken);

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(script)! };
        start.ArgumentList.Add(script);
        start.Environment["TEM_DASHBOARD_URL"] = new Uri(host.BaseAddress, "tem").ToString();
        start.Environment["TEM_BATCH_CODE"] = batch.Code;
        start.Environment["TEM_EXPECT_FAILED"] = failing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["TEM_HOSTILE_TASK"] = "27"; // document 25 of the run, after the ended batch's 2 tasks
        start.Environment["TEM_SCREENSHOTS"] = screenshots;
        start.Environment["TEM_CHROMIUM"] = Chromium;
        start.Environment["TEM_WORKER_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["TEM_UNHANDLED_TYPE"] = "orphan";
        start.Environment["TEM_ENDED_BATCH_CODE"] = ended.Code;
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
        }

        var text = await stdout + await stderr;
        output.WriteLine(text);
        Console.WriteLine(text);
        Assert.True(node.HasExited && node.ExitCode == 0, $"The browser script failed (screenshots in {screenshots}):\n{text}");
        Assert.Contains("# all 14 steps passed", text);
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "dashboard-browser", "dashboard.test.mjs");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("tests/dashboard-browser/dashboard.test.mjs was not found above the test's folder.");
    }

    private static string? Missing(string script)
    {
        if (!File.Exists(Chromium))
        {
            return $"no Chromium at {Chromium} (apt-get install -y chromium)";
        }

        if (!File.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "playwright-core", "package.json")))
        {
            return "playwright-core is not installed (cd tests/dashboard-browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)";
        }

        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            node.WaitForExit();
            return node.ExitCode == 0 ? null : "node does not run";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "node is not on the PATH";
        }
    }
}
