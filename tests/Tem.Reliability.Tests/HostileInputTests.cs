using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Tem.Reliability.Tests;

public class HostileInputTests
{
    private static TemOptions Options(string path, Action<TemOptions>? configure = null)
    {
        var options = new TemOptions
        {
            DatabasePath = path,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) },
        };
        configure?.Invoke(options);
        return options;
    }

    private static CancellationToken Deadline(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_database_the_user_cannot_write_is_refused_as_read_only_and_left_unchanged()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("uses POSIX file modes and setpriv");
            return;
        }

        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        await Work.SeedAsync(db, 10);
        var before = SHA256.HashData(File.ReadAllBytes(db));
        File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(folder.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        var missing = folder.File("new.db");

        // root ignores file modes, so as root the check runs in a child process as "nobody" (uid 65534),
        // from a copy of the host that nobody can read (the build output may sit under /root).
        var asRoot = Environment.UserName == "root";
        string? hostCopy = null;
        if (asRoot)
        {
            if (!File.Exists("/usr/bin/setpriv") && !File.Exists("/bin/setpriv"))
            {
                Assert.Skip("running as root without setpriv: cannot drop to a user that file modes apply to");
            }

            var source = Path.GetDirectoryName(HostProcess.HostDll)!;
            var target = Directory.CreateDirectory(folder.File("host")).FullName;
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(target, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }

            hostCopy = Path.Combine(target, "Tem.TestHost.dll");
        }

        string[] Open(string path)
        {
            if (asRoot)
            {
                using var host = HostProcess.Start([path, folder.File("unused.log"), "open"], runAsUser: "65534", hostDll: hostCopy);
                var code = host.WaitForExitAsync(60).GetAwaiter().GetResult();
                if (code != 3 && code != 0 && !host.Stdout.Contains('|', StringComparison.Ordinal))
                {
                    // The host never reached Tem: the dotnet install is not usable by uid 65534 (for example under /root).
                    Assert.Skip($"the test host cannot run as uid 65534 here (exit {code}): {host.Stderr.Trim()}");
                }

                Assert.True(code == 3, $"expected the open to fail (exit 3), got {code}\n{host.Stdout}\n{host.Stderr}");
                return host.Stdout.Trim().Split('|', 2);
            }

            var ex = Assert.ThrowsAny<Exception>(() => TemEngine.Open(Options(path)));
            return [ex.GetType().FullName!, ex.Message];
        }

        var readOnly = Open(db);
        Assert.Equal(typeof(TemDatabaseException).FullName, readOnly[0]);
        Assert.Equal($"The database '{db}' is read-only. Tem must write to it: check the file's and its folder's permissions.", readOnly[1]);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(db)));

        // A new database in a folder the user cannot write to.
        var noFolderAccess = Open(missing);
        Assert.Equal(typeof(TemDatabaseException).FullName, noFolderAccess[0]);
        Assert.StartsWith($"The database '{missing}' cannot be opened", noFolderAccess[1]);
        Assert.EndsWith("Check that its folder exists and is writable.", noFolderAccess[1]);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Garbage_after_a_valid_sqlite_header_is_refused_with_a_typed_error()
    {
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var bytes = new byte[64 * 1024];
        new Random(42).NextBytes(bytes);
        "SQLite format 3\0"u8.CopyTo(bytes);
        await File.WriteAllBytesAsync(db, bytes);

        var ex = Assert.Throws<TemDatabaseException>(() => TemEngine.Open(Options(db)));
        Assert.Matches("is not a SQLite database|is corrupt", ex.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(db)); // nothing written over the user's file
    }

    [Fact]
    public async Task A_database_with_corrupt_task_pages_fails_with_a_typed_error_not_a_raw_sqlite_exception()
    {
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var batchId = await Work.SeedAsync(db, 5_000);
        using (var connection = Sql.Connect(db))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;";
            command.ExecuteNonQuery();
        }

        // Overwrite the middle of the file (task rows and index pages), keeping page 1 (the schema) intact.
        var bytes = await File.ReadAllBytesAsync(db);
        var garbage = new byte[bytes.Length / 2];
        new Random(7).NextBytes(garbage);
        garbage.CopyTo(bytes, bytes.Length / 4);
        await File.WriteAllBytesAsync(db, bytes);

        var ex = await Record.ExceptionAsync(async () =>
        {
            await using var tem = TemEngine.Open(Options(db));
            await tem.Batches.GetStatsAsync(batchId);
            await tem.Tasks.ListAsync(new TaskQuery { BatchId = batchId, Limit = 10_000 });
        });
        Assert.True(ex is TemDatabaseException, $"expected a TemDatabaseException, got {ex}");
        var typed = (TemDatabaseException)ex;
        Assert.Matches("is corrupt|is not a SQLite database", typed.Message);
    }

    [Fact]
    public async Task Enqueue_into_a_batch_its_criteria_interrupted_is_refused_and_adds_nothing()
    {
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        await using var tem = TemEngine.Open(Options(db, o => o.Concurrency = 1), TemHandlerRegistry.Create(w =>
            w.Register(Work.Type, (p, c, _) => throw new NonRetryableException($"provider rejected {p.N}"))));
        var batch = await tem.Batches.CreateAsync("b", "work", interruptionCriteria: new InterruptionCriteria { MaxFailedTasks = 2 });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Work.Type, Enumerable.Range(0, 1000).Select(i => new WorkPayload(i)));
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, Deadline());
        Assert.Equal(BatchStatus.Interrupted, (await tem.Batches.GetAsync(batch.Id)).Status);
        // Outcomes are written in groups, so tasks that ended before the group that tripped the criterion was
        // committed still count; what matters is that the interruption stops the claims long before the end.
        Assert.True(stats.Failed is >= 2 and <= 50, $"MaxFailedTasks = 2 let {stats.Failed} tasks fail: {stats}");
        Assert.Equal(1000 - stats.Failed, stats.Pending);

        var many = await Assert.ThrowsAsync<BatchNotActiveException>(() =>
            tem.Tasks.EnqueueManyAsync(batch.Id, Work.Type, Enumerable.Range(100, 50).Select(i => new WorkPayload(i))));
        Assert.Equal($"Batch {batch.Id} is interrupted and takes no new tasks. Call Batches.ResumeAsync to reopen it, or create a new batch.", many.Message);
        var one = await Assert.ThrowsAsync<BatchNotActiveException>(() => tem.Tasks.EnqueueAsync(batch.Id, Work.Type, new WorkPayload(7)));
        Assert.Equal(many.Message, one.Message);
        Assert.Equal(stats, await tem.Batches.GetStatsAsync(batch.Id)); // nothing added, nothing else disturbed
        Assert.Equal(1000, (await tem.Batches.GetStatsAsync(batch.Id)).Total);
        var failed = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = TemTaskStatus.Failed });
        Assert.All(failed, t => Assert.StartsWith("Tem.NonRetryableException: provider rejected", t.Error));
    }

    [Fact]
    public async Task A_10_MB_payload_and_result_round_trip_unchanged()
    {
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var type = new TaskType<BigPayload, BigResult>("big", ReliabilityJson.Default.BigPayload, ReliabilityJson.Default.BigResult);
        var random = new Random(1);
        var text = string.Create(10 * 1024 * 1024, random, (span, r) =>
        {
            const string alphabet = "abcdefghijklmnopqrstuvwxyzÄÖÜ\"\\\n\t<>&é漢字 ";
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[r.Next(alphabet.Length)];
            }
        });

        string? seen = null;
        await using var tem = TemEngine.Open(Options(db), TemHandlerRegistry.Create(w => w.Register(type, (p, _, _) =>
        {
            seen = p.Text;
            return ValueTask.FromResult(new BigResult(p.Text.Length, Reversed(p.Text)));
        })));
        var batch = await tem.Batches.CreateAsync("big", "big");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, type, new BigPayload(text));
        var small = await tem.Tasks.EnqueueAsync(batch.Id, type, new BigPayload("small"));
        await tem.Worker.StartAsync();
        Assert.Equal(new BatchStats(0, 0, 2, 0, 0), await tem.WaitForBatchAsync(batch.Id, Deadline()));
        Assert.Equal(text, seen is { Length: > 100 } ? seen : (await tem.Tasks.GetAsync(id)).PayloadJson);
        var result = await tem.Tasks.GetResultAsync(id, type);
        Assert.Equal(text.Length, result.Length);
        Assert.Equal(Reversed(text), result.Text);
        Assert.Equal("llams", (await tem.Tasks.GetResultAsync(small, type)).Text);
    }

    private static string Reversed(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    [Fact]
    public async Task A_handler_that_never_returns_times_out_on_every_attempt_without_holding_the_slot()
    {
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var hang = new TaskType<WorkPayload, WorkResult>("hang", ReliabilityJson.Default.WorkPayload, ReliabilityJson.Default.WorkResult, maxAttempts: 2, timeout: TimeSpan.FromMilliseconds(300));
        var hangs = 0;
        var never = new TaskCompletionSource<WorkResult>(); // never completed, and no token observed
        await using var tem = TemEngine.Open(Options(db, o => o.Concurrency = 1), TemHandlerRegistry.Create(w =>
        {
            w.Register(hang, (_, _, _) =>
            {
                Interlocked.Increment(ref hangs);
                return new ValueTask<WorkResult>(never.Task);
            });
            w.Register(Work.Type, (p, c, _) => ValueTask.FromResult(new WorkResult(p.N, c.Attempt, 0)));
        }));
        var batch = await tem.Batches.CreateAsync("hang", "mixed");
        var stuck = await tem.Tasks.EnqueueAsync(batch.Id, hang, new WorkPayload(0), new EnqueueOptions { Priority = 10 });
        await tem.Tasks.EnqueueManyAsync(batch.Id, Work.Type, Enumerable.Range(1, 20).Select(i => new WorkPayload(i)));
        await tem.Worker.StartAsync();

        var stats = await tem.WaitForBatchAsync(batch.Id, Deadline());
        Assert.Equal(new BatchStats(0, 0, 20, 1, 0), stats); // with one slot, everything else still ran
        var task = await tem.Tasks.GetAsync(stuck);
        Assert.Equal(TemTaskStatus.Failed, task.Status);
        Assert.Equal(2, task.Attempt);
        Assert.Equal(2, hangs);
        Assert.Equal("Timed out after 0.3 s (attempt 2 of 2).", task.Error);
        await Poll.UntilAsync(() => tem.Worker.InFlight == 0, "every slot to be free again", seconds: 10);

        var stop = tem.Worker.StopAsync(TimeSpan.FromSeconds(1));
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10)))); // the abandoned handlers do not block a stop
    }
}
