using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;

namespace Tem.Cli.Tests;

public sealed record DocPayload(int N);

public sealed record DocResult(string Text);

[JsonSerializable(typeof(DocPayload))]
[JsonSerializable(typeof(DocResult))]
internal sealed partial class CliTestJson : JsonSerializerContext;

/// <summary>Runs the built `tem` tool as a separate process against real database files.</summary>
public sealed class CliTests : IDisposable
{
    private static readonly TaskType<DocPayload, DocResult> Doc = new("doc", CliTestJson.Default.DocPayload, CliTestJson.Default.DocResult, maxAttempts: 2);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A batch "nightly" of 10 tasks: 8 completed, 2 failed (N = 3 and 7), plus an empty batch "later".</summary>
    private async Task SeedAsync()
    {
        await using var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = DbPath,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) },
        }, TemHandlerRegistry.Create(w => w.Register(Doc, (p, _, _) =>
            p.N is 3 or 7 ? throw new InvalidOperationException($"model refused doc {p.N}") : ValueTask.FromResult(new DocResult($"text {p.N}")))));
        var batch = await tem.Batches.CreateAsync("nightly", "rewrite");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Doc, Enumerable.Range(0, 10).Select(i => new DocPayload(i)));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await tem.Batches.CreateAsync("later", "rewrite");
    }

    /// <summary>Runs the built tool with <paramref name="args"/>; its exit code and what it printed.</summary>
    internal static async Task<(int Exit, string Out, string Err)> Tem(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tem.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Batches_lists_codes_statuses_and_counts_as_text_and_json()
    {
        await SeedAsync();
        var (exit, text, err) = await Tem("batches", DbPath);
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("CODE", lines[0]);
        // A batch that ended with failures says so in its status, not only in the FAILED column.
        Assert.Matches(@"^nightly\s+rewrite\s+completed with 2 failed\s+0\s+0\s+8\s+2\s+0\s+10\s", lines[1]);
        Assert.Matches(@"^later\s+rewrite\s+active\s+0\s+0\s+0\s+0\s+0\s+0\s", lines[2]);

        (exit, text, _) = await Tem("batches", DbPath, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(text);
        var nightly = json.RootElement[0];
        Assert.Equal("nightly", nightly.GetProperty("code").GetString());
        Assert.Equal(8, nightly.GetProperty("stats").GetProperty("completed").GetInt32());
        Assert.Equal(2, nightly.GetProperty("stats").GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Report_shows_counts_attempts_and_grouped_errors()
    {
        await SeedAsync();
        var (exit, text, _) = await Tem("report", DbPath, "nightly");
        Assert.Equal(0, exit);
        Assert.Contains("Batch nightly (rewrite), completed with 2 failed, created ", text);
        Assert.Contains("Tasks: 10 total, 8 completed, 2 failed, 0 pending, 0 running, 0 cancelled", text);
        Assert.Contains("Attempts: 1 → 8, 2 → 2", text);
        Assert.Contains("System.InvalidOperationException: model refused doc 3", text);
        Assert.Contains("Task duration: p50", text);

        (exit, text, _) = await Tem("report", DbPath, "nightly", "--json");
        using var json = JsonDocument.Parse(text);
        Assert.Equal(2, json.RootElement.GetProperty("topErrors").GetArrayLength());
        Assert.Equal(8, json.RootElement.GetProperty("attempts").GetProperty("1").GetInt32());
    }

    [Fact]
    public async Task List_and_show_give_the_failed_tasks_with_their_errors()
    {
        await SeedAsync();
        var (exit, text, _) = await Tem("list", DbPath, "--batch", "nightly", "--status", "failed");
        Assert.Equal(0, exit);
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Contains("failed  2/2", r));
        Assert.Contains("model refused doc 3", rows[0]);

        var id = rows[0].Trim().Split(' ')[0];
        (exit, text, _) = await Tem("show", DbPath, id, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(3, json.RootElement.GetProperty("payload").GetProperty("N").GetInt32());
        Assert.Equal("failed", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Retry_failed_returns_failures_to_pending_in_the_file()
    {
        await SeedAsync();
        var (exit, text, _) = await Tem("retry-failed", DbPath, "nightly");
        Assert.Equal(0, exit);
        Assert.Equal("nightly: returned 2 failed tasks to pending.", text.Trim());

        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath });
        var batch = (await tem.Batches.GetByCodeAsync("nightly"))!;
        Assert.Equal(new BatchStats(2, 0, 8, 0, 0), await tem.Batches.GetStatsAsync(batch.Id));
        Assert.Equal(BatchStatus.Active, batch.Status);
    }

    [Fact]
    public async Task Export_writes_jsonl_and_csv()
    {
        await SeedAsync();
        var (exit, text, _) = await Tem("export", DbPath, "nightly", "--format", "jsonl", "--status", "completed");
        Assert.Equal(0, exit);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("text 0", first.RootElement.GetProperty("result").GetProperty("Text").GetString());
        }

        (exit, text, _) = await Tem("export", DbPath, "nightly", "--format", "csv");
        Assert.Equal(0, exit);
        var csv = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,type,status,attempt,payload,result,error", csv[0]);
        Assert.Equal(11, csv.Length);
        Assert.Contains("\"{\"\"N\"\":0}\"", csv[1]);
    }

    [Fact]
    public async Task Watch_prints_one_line_per_interval_when_redirected_and_ends_with_the_batch()
    {
        await SeedAsync();
        var (exit, text, _) = await Tem("watch", DbPath, "nightly", "--interval", "100");
        Assert.Equal(0, exit);
        Assert.Contains("10/10 (2 failed, 0 running, avg ", text);
        Assert.EndsWith("nightly: completed with 2 failed.", text.Trim());
    }

    [Fact]
    public async Task Errors_print_one_clear_line_and_exit_non_zero()
    {
        var (exit, text, err) = await Tem("report", Path.Combine(_folder, "missing.db"), "x");
        Assert.Equal(1, exit);
        Assert.Equal("", text);
        Assert.Equal($"tem: database '{Path.Combine(_folder, "missing.db")}' not found.", err.Trim());

        await SeedAsync();
        (exit, _, err) = await Tem("report", DbPath, "nope");
        Assert.Equal(1, exit);
        Assert.StartsWith("tem: no batch with code 'nope'", err.Trim());
        Assert.Single(err.Trim().Split('\n'));

        var garbage = Path.Combine(_folder, "garbage.db");
        await File.WriteAllTextAsync(garbage, "definitely not a database, just some words");
        (exit, _, err) = await Tem("batches", garbage);
        Assert.Equal(1, exit);
        Assert.Contains("is not a SQLite database", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}

/// <summary>The CLI's per-task steering, attempt history, waiting-for-handler line, and its read commands leaving the file alone.</summary>
public sealed class CliSteeringTests : IDisposable
{
    private static readonly TaskType<DocPayload, DocResult> Doc = new("doc", CliTestJson.Default.DocPayload, CliTestJson.Default.DocResult, maxAttempts: 1);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Show_lists_attempts_retry_task_reruns_a_failure_and_report_names_unhandled_types()
    {
        long failedId;
        await using (var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath, PollInterval = TimeSpan.FromMilliseconds(50) },
            TemHandlerRegistry.Create(w => w.Register(Doc, (p, _, _) => throw new InvalidOperationException($"model refused doc {p.N}")))))
        {
            var batch = await tem.Batches.CreateAsync("nightly", "rewrite");
            failedId = await tem.Tasks.EnqueueAsync(batch.Id, Doc, new DocPayload(1));
            await tem.Worker.StartAsync();
            await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(DbPath);
        var show = await CliTests.Tem("show", DbPath, failedId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, show.Exit);
        Assert.Contains("Attempt 1: failed", show.Out);
        Assert.Contains("model refused doc 1", show.Out);
        Assert.Contains("   at ", show.Out); // the stack trace of the attempt
        Assert.Equal(bytes, File.ReadAllBytes(DbPath)); // a read command changes nothing

        var retry = await CliTests.Tem("retry-task", DbPath, failedId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((0, $"task {failedId}: returned to pending."), (retry.Exit, retry.Out.Trim()));
        var again = await CliTests.Tem("retry-task", DbPath, failedId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, again.Exit);
        Assert.Contains("is not failed", again.Err);

        var report = await CliTests.Tem("report", DbPath, "nightly");
        Assert.Contains("1 tasks wait for a handler of type doc: no live worker handles it.", report.Out);
    }
}
