using Microsoft.Data.Sqlite;
using Xunit;

namespace Tem.Core.Tests;

public class StorageTests
{
    [Fact]
    public async Task Open_creates_a_wal_database_at_the_current_schema_version()
    {
        using var db = new TempDatabase();
        await using (var tem = db.Open())
        {
            await tem.Batches.CreateAsync("b", "t");
        }

        using var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode; ";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)Storage.Schema.CurrentVersion, command.ExecuteScalar()); // the version this build writes (v6 adds task.trace_parent)
        command.CommandText = "SELECT COUNT(*) FROM batch;";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public async Task Eight_engines_opening_one_new_file_at_once_all_open_it()
    {
        // The schema check read the version and the table list in two statements: between them another opener could
        // commit the whole schema, and the file looked like "tables but no Tem schema" (3 of 40 opens across processes,
        // 1 of 800 in this test).
        var failures = new List<string>();
        const int rounds = 60;
        for (var round = 0; round < rounds; round++)
        {
            using var db = new TempDatabase();
            using var gate = new Barrier(8);
            var opens = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
            {
                gate.SignalAndWait(TimeSpan.FromSeconds(30));
                try
                {
                    var tem = TemEngine.Open(db.Options());
                    return tem.DisposeAsync().AsTask();
                }
                catch (TemDatabaseException ex)
                {
                    lock (failures)
                    {
                        failures.Add(ex.Message);
                    }

                    return Task.CompletedTask;
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();
            await Task.WhenAll(opens).WaitAsync(TimeSpan.FromSeconds(120));
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {rounds * 8} opens failed; first: {failures.FirstOrDefault()}");
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_refused()
    {
        using var db = new TempDatabase();
        File.WriteAllText(db.Path, "this is a text file, not a database at all");
        var ex = Assert.Throws<TemDatabaseException>(() => db.Open());
        Assert.Contains("is not a SQLite database", ex.Message);
        Assert.Equal("this is a text file, not a database at all", File.ReadAllText(db.Path)); // nothing was overwritten
    }

    [Fact]
    public void A_file_from_a_newer_schema_is_refused()
    {
        using var db = new TempDatabase();
        using (var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }

        var ex = Assert.Throws<TemDatabaseException>(() => db.Open());
        Assert.Contains("schema version 99", ex.Message);
        Assert.Contains("Upgrade Tem", ex.Message);
    }

    [Fact]
    public void A_sqlite_file_of_another_application_is_refused_and_left_alone()
    {
        using var db = new TempDatabase();
        using (var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);";
            command.ExecuteNonQuery();
        }

        var ex = Assert.Throws<TemDatabaseException>(() => db.Open());
        Assert.Contains("holds tables but no Tem schema", ex.Message);
        using var check = new SqliteConnection($"Data Source={db.Path};Pooling=False");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';";
        Assert.Equal(1L, count.ExecuteScalar());
    }

    [Fact]
    public void A_missing_folder_is_refused_with_its_name()
    {
        using var db = new TempDatabase();
        var path = Path.Combine(db.Folder, "missing", "tem.db");
        var ex = Assert.Throws<TemDatabaseException>(() => TemEngine.Open(new TemOptions { DatabasePath = path }));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains(Path.Combine(db.Folder, "missing"), ex.Message);
    }

    [Fact]
    public void A_truncated_database_file_is_refused()
    {
        using var db = new TempDatabase();
        File.WriteAllBytes(db.Path, "SQLite format"u8.ToArray());
        var ex = Assert.Throws<TemDatabaseException>(() => db.Open());
        Assert.Contains("not a SQLite database", ex.Message);
    }

    [Theory]
    [InlineData("", "DatabasePath is empty")]
    [InlineData("concurrency", "Concurrency is 0; it must be between 1 and 10,000")]
    [InlineData("huge-concurrency", "Concurrency is 2147483647; it must be between 1 and 10,000")]
    [InlineData("attempts", "DefaultMaxAttempts is -1; it must be between 1 and")]
    [InlineData("timeout", "DefaultTimeout is 10675199.02:48:05.4775807; it must be a positive time span of at most 24.20:31:23.646")]
    [InlineData("poll", "PollInterval is 10675199.02:48:05.4775807; it must be a positive time span of at most 01:00:00")]
    [InlineData("both", "sets both DatabasePath and Store")]
    [InlineData("rate", "permits must be at least 1")]
    [InlineData("lease", "LeaseDuration is 00:00:00; it must be a positive time span")]
    [InlineData("jitter", "JitterFraction is 2; it must be between 0 and 1")]
    public void Bad_options_are_refused_with_a_message_that_names_them(string which, string message)
    {
        using var db = new TempDatabase();
        var options = db.Options();
        switch (which)
        {
            case "": options.DatabasePath = " "; break;
            case "concurrency": options.Concurrency = 0; break;
            case "huge-concurrency": options.Concurrency = int.MaxValue; break;
            case "timeout": options.DefaultTimeout = TimeSpan.MaxValue; break;
            case "poll": options.PollInterval = TimeSpan.MaxValue; break;
            case "both": options.Store = new SqliteStoreOptions { Path = db.Path }; break;
            case "attempts": options.DefaultMaxAttempts = -1; break;
            case "rate": options.RateLimit = new RateLimitOptions { PerSecond = 0 }; break;
            case "lease": options.LeaseDuration = TimeSpan.Zero; break;
            case "jitter": options.Retry.JitterFraction = 2; break;
        }

        var ex = Assert.Throws<TemConfigurationException>(() => TemEngine.Open(options));
        Assert.Contains(message, ex.Message);
        Assert.False(File.Exists(db.Path)); // refused before anything was created
    }

    [Fact]
    public void Invalid_task_type_names_are_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TaskType<EchoPayload>("bad name!", TestJson.Default.EchoPayload));
        Assert.Contains("'bad name!' is not a valid task type name", ex.Message);
        Assert.True(TaskTypeName.IsValid("docs.summarize/v2"));
        Assert.False(TaskTypeName.IsValid(""));
        Assert.False(TaskTypeName.IsValid("-x"));
    }
}
