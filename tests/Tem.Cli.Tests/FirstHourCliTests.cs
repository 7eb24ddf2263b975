using System.Diagnostics;
using System.Text.Json.Serialization;
using Xunit;

namespace Tem.Cli.Tests;

public sealed record SlowPayload(int N);

[JsonSerializable(typeof(SlowPayload))]
internal sealed partial class SlowJson : JsonSerializerContext;

/// <summary>Issue 18: what a new user meets first in the CLI — hints instead of walls of help, and a `watch` worth watching.</summary>
public sealed class FirstHourCliTests : IDisposable
{
    private static readonly TaskType<SlowPayload> Fetch = new("fetch", SlowJson.Default.SlowPayload, maxAttempts: 1);
    private static readonly TaskType<SlowPayload> Summarize = new("summarize", SlowJson.Default.SlowPayload, maxAttempts: 1);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-firsthour-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static ProcessStartInfo TemStart(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tem.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static async Task<(int Exit, string Out, string Err)> Tem(params string[] args)
    {
        using var process = Process.Start(TemStart(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task List_without_a_batch_prints_one_hint_line_not_the_help()
    {
        await using (TemEngine.Open(new TemOptions { DatabasePath = DbPath }))
        {
        }

        var (exit, text, err) = await Tem("list", DbPath);
        Assert.Equal(1, exit);
        Assert.Equal("", text);
        Assert.Equal($"tem: name the batch: tem list {DbPath} --batch CODE (`tem batches {DbPath}` lists the codes).", err.Trim());
    }

    [Fact]
    public async Task Empty_lists_say_so()
    {
        await using (var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath }))
        {
            var (_, none, _) = await Tem("batches", DbPath);
            Assert.Equal($"{DbPath}: no batches yet.", none.Trim());
            var batch = await tem.Batches.CreateAsync("empty", "t");
            await tem.Tasks.EnqueueAsync(batch.Id, Fetch, new SlowPayload(1));
        }

        var (exit, text, _) = await Tem("list", DbPath, "--batch", "empty", "--status", "failed");
        Assert.Equal(0, exit);
        Assert.Equal("empty: no failed tasks.", text.Trim());
        (_, text, _) = await Tem("list", DbPath, "--batch", "empty", "--type", "nope");
        Assert.Equal("empty: no 'nope' tasks.", text.Trim());
    }

    [Fact]
    public async Task Watch_help_shows_the_code_as_optional()
    {
        var (exit, text, _) = await Tem("watch", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("tem watch <database> [<code>] [options]", text);
        Assert.Contains("Optional: the batch code; without it, pass --latest.", text);
    }

    [Fact]
    public async Task Help_says_what_the_readme_says_about_resume_and_the_database()
    {
        // Issue 27 item 5: the README says resuming while other processes work the batch is safe, and that every
        // command takes a SQLite file or a PostgreSQL connection string; the help said neither.
        var (exit, top, _) = await Tem("--help");
        Assert.Equal(0, exit);
        Assert.Contains("a SQLite file or a PostgreSQL connection string", top);
        Assert.DoesNotContain("in a SQLite database.", top);

        var (_, resume, _) = await Tem("resume", "--help");
        Assert.Contains("safe while other processes work the batch", resume);
        Assert.DoesNotContain("no other process may be working it", resume);

        var (_, watch, _) = await Tem("watch", "--help");
        Assert.Contains("--interval", watch);
        Assert.Contains("--view", watch);
    }

    [Fact]
    public async Task Watch_during_a_run_shows_rate_running_and_errors_as_they_arrive_then_a_row_per_type()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath, Concurrency = 4, PollInterval = TimeSpan.FromMilliseconds(50) },
            TemHandlerRegistry.Create(w =>
            {
                // fetch: steady 40 ms calls, every 10th fails; summarize: held until the watch has seen the fetches.
                w.Register(Fetch, async (p, _, ct) =>
                {
                    await Task.Delay(40, ct);
                    if (p.N % 10 == 9)
                    {
                        throw new InvalidOperationException($"provider refused fetch {p.N}");
                    }
                });
                w.Register(Summarize, async (p, _, ct) => await release.Task.WaitAsync(ct));
            }));
        var batch = await tem.Batches.CreateAsync("live", "mixed");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Fetch, Enumerable.Range(0, 100).Select(i => new SlowPayload(i)));
        await tem.Tasks.EnqueueManyAsync(batch.Id, Summarize, Enumerable.Range(0, 4).Select(i => new SlowPayload(i)));

        using var watch = Process.Start(TemStart("watch", DbPath, "live", "--interval", "200"))!;
        var lines = new List<string>();
        var summariesRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (await watch.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line.Contains("/104 (", StringComparison.Ordinal) && line.Contains(" failed, 4 running,", StringComparison.Ordinal))
                {
                    summariesRunning.TrySetResult(); // the fetches are done and the four held summaries run
                }
            }
        });
        await tem.Worker.StartAsync();

        // Let the fetches run (and fail) while the watch reads; then release the summaries so the batch ends.
        await summariesRunning.Task.WaitAsync(TimeSpan.FromSeconds(60));
        release.SetResult();
        await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        await watch.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        await reader;

        Assert.Equal(0, watch.ExitCode);
        Assert.Equal("live: completed with 10 failed.", lines[^1]);
        // Elapsed, bar, counts, running now and on average, the rate over the window (not zero while fetches ended in it).
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+( m?s)? \[[#.]+\] \d+/104 \(\d+ failed, 4 running, avg [\d.]+\) [1-9][\d.]*/s over 10 s, ETA "));
        Assert.Contains(lines, l => l.Contains("provider refused fetch", StringComparison.Ordinal) && l.Contains("(fetch) attempt 1, failed", StringComparison.Ordinal));
        Assert.Contains("104/104 (10 failed, 0 running", lines[^2]);

        // The live screen (forced, since output is redirected here): a row per task type.
        var (exit, screen, _) = await Tem("watch", DbPath, "live", "--view", "live");
        Assert.Equal(0, exit);
        // Box characters depend on the terminal Spectre detects (Unicode or ASCII): match any one separator.
        Assert.Matches(@"fetch\s+\S\s+0 \S\s+0 \(avg [\d.]+\) \S\s+90 \S\s+10 \S", screen);
        Assert.Matches(@"summarize\s+\S\s+0 \S\s+0 \(avg [\d.]+\) \S\s+4 \S\s+0 \S", screen);
    }
}
