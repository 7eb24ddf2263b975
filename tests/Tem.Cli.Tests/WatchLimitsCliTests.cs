using System.Collections.Concurrent;
using Xunit;

namespace Tem.Cli.Tests;

/// <summary>Issue 27 item 5: `tem watch` shows the provider refusals a batch met and each shared limit group's state.</summary>
public sealed class WatchLimitsCliTests : IDisposable
{
    private static readonly TaskType<DocPayload, DocResult> Doc = new("doc", CliTestJson.Default.DocPayload, CliTestJson.Default.DocResult, maxAttempts: 2);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A batch "paced" of 10 tasks under the shared limit "llm"; the provider refuses tasks 2, 5 and 8 once each.</summary>
    private async Task SeedAsync()
    {
        var refused = new ConcurrentDictionary<int, bool>();
        await using var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = DbPath,
            PollInterval = TimeSpan.FromMilliseconds(50),
            RateLimit = new RateLimitOptions { PerSecond = 1000, SharedName = "llm" },
        }, TemHandlerRegistry.Create(w => w.Register(Doc, (p, _, _) =>
            p.N is 2 or 5 or 8 && refused.TryAdd(p.N, true)
                ? throw new RetryAfterException(TimeSpan.FromMilliseconds(20), "429 from the provider")
                : ValueTask.FromResult(new DocResult($"text {p.N}")))));
        var batch = await tem.Batches.CreateAsync("paced", "rewrite");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Doc, Enumerable.Range(0, 10).Select(i => new DocPayload(i)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(10, stats.Completed);
        Assert.Equal(3, refused.Count);
    }

    [Fact]
    public async Task Watch_lines_show_the_refusals_and_the_shared_limit_group()
    {
        await SeedAsync();
        var (exit, text, err) = await CliTests.Tem("watch", DbPath, "paced", "--interval", "100");
        Assert.True(exit == 0, err);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines[^2];
        Assert.Contains("10/10 (0 failed, 0 running", line);
        var match = System.Text.RegularExpressions.Regex.Match(line, @"ETA done, 3 refused; limit 'llm': (\d+) starts last minute, not paused$");
        Assert.True(match.Success, line);
        // 13 starts were granted (10 + 3 retries), but the store keeps a limit's grants only for its longest window
        // (1 s here): a slow run has pruned the early ones by the time watch reads them.
        Assert.InRange(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 13);
    }

    [Fact]
    public async Task Watch_screen_has_a_refused_column_and_a_shared_limits_section()
    {
        await SeedAsync();
        var (exit, screen, err) = await CliTests.Tem("watch", DbPath, "paced", "--view", "live");
        Assert.True(exit == 0, err);
        Assert.Contains("REFUSED", screen);
        Assert.Contains("3 refused", screen);
        // TYPE, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, REFUSED: any one box separator between cells.
        Assert.Matches(@"doc\s+\S\s+0 \S\s+0 \(avg [\d.]+\) \S\s+10 \S\s+0 \S\s+0 \S\s+3 \S", screen);
        Assert.Contains("Shared limits", screen);
        Assert.Matches(@"limit 'llm': \d+ starts last minute, not paused", screen);
    }
}
