using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>Bad files, bad text and bad values: refused with a typed error that says what to do, and nothing changed.</summary>
public class HostileInputTests
{
    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void MakeSqliteFile(string path, string sql)
    {
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
    }

    private static string JournalMode(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        return (string)command.ExecuteScalar()!;
    }

    [Theory]
    [InlineData("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');", "belongs to something else")]
    [InlineData("CREATE TABLE x (id INTEGER); PRAGMA user_version = 99;", "written by a newer Tem")]
    public void A_refused_file_is_left_exactly_as_it_was(string sql, string message)
    {
        using var db = new TempDatabase();
        MakeSqliteFile(db.Path, sql);
        var before = Hash(db.Path);

        foreach (var readOnly in new[] { false, true })
        {
            var ex = Assert.Throws<TemDatabaseException>(() => TemEngine.Open(new TemOptions { Store = new SqliteStoreOptions { Path = db.Path, ReadOnly = readOnly } }));
            Assert.Contains(message, ex.Message);
        }

        Assert.Equal(before, Hash(db.Path));
        Assert.Equal("delete", JournalMode(db.Path)); // not switched to WAL
        Assert.False(File.Exists(db.Path + "-wal"));
    }

    [Fact]
    public async Task A_read_only_engine_reads_and_refuses_every_write_with_a_clear_error()
    {
        using var db = new TempDatabase();
        long batchId;
        await using (var tem = db.Open())
        {
            batchId = (await tem.Batches.CreateAsync("b", "t")).Id;
            await tem.Tasks.EnqueueAsync(batchId, Types.Echo, new EchoPayload(1));
        }

        SqliteConnection.ClearAllPools();
        var before = Hash(db.Path);
        await using (var reader = TemEngine.Open(new TemOptions { Store = new SqliteStoreOptions { Path = db.Path, ReadOnly = true } }))
        {
            Assert.Equal(1, (await reader.Batches.GetStatsAsync(batchId)).Pending);
            var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => reader.Batches.CancelAsync(batchId));
            Assert.Contains("opened read-only", ex.Message);
        }

        Assert.Equal(before, Hash(db.Path));
        var missing = Assert.Throws<TemDatabaseException>(() => TemEngine.Open(new TemOptions { Store = new SqliteStoreOptions { Path = db.Path + ".nope", ReadOnly = true } }));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public async Task Unpaired_surrogates_are_refused_by_name_and_nothing_is_stored()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var code = Assert.Throws<ArgumentException>(() => { _ = tem.Batches.CreateAsync("s\uDC00", "t"); });
        Assert.Contains("The batch code holds an unpaired UTF-16 surrogate (U+DC00 at index 1)", code.Message);
        var batch = await tem.Batches.CreateAsync("s\uD83D\uDE00", "t"); // a whole emoji is fine
        Assert.Equal("s\uD83D\uDE00", (await tem.Batches.GetByCodeAsync("s\uD83D\uDE00"))!.Code);

        var key = await Assert.ThrowsAsync<ArgumentException>(() => tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1), new EnqueueOptions { IdempotencyKey = "k\uD800" }));
        Assert.Contains("EnqueueOptions.IdempotencyKey holds an unpaired UTF-16 surrogate", key.Message);
        var payload = await Assert.ThrowsAsync<TemException>(() => tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, [new EchoPayload(1, "ok"), new EchoPayload(2, "cut \uD83D")]));
        Assert.Contains("cannot be stored", payload.Message);
        Assert.Contains("U+D83D", payload.Message);
        Assert.Equal(0, (await tem.Batches.GetStatsAsync(batch.Id)).Pending);

        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(3, "emoji \uD83D\uDE00 and \uFFFD"));
        var stored = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id })).Single();
        Assert.Equal("emoji \uD83D\uDE00 and \uFFFD", System.Text.Json.JsonSerializer.Deserialize(stored.PayloadJson, TestJson.Default.EchoPayload)!.Text);
    }

    [Fact]
    public async Task A_payload_json_cannot_write_is_a_tem_error_and_stores_nothing()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var batch = await tem.Batches.CreateAsync("b", "t");
        var nan = new TaskType<UnwritableResult>("nan", TestJson.Default.UnwritableResult);
        var ex = await Assert.ThrowsAsync<TemException>(() => tem.Tasks.EnqueueAsync(batch.Id, nan, new UnwritableResult(double.NaN)));
        Assert.Contains("cannot be written as JSON", ex.Message);
        Assert.Contains("Nothing of this enqueue was stored", ex.Message);
        Assert.Equal(0, (await tem.Batches.GetStatsAsync(batch.Id)).Pending);
    }

    [Fact]
    public async Task Deleting_the_database_file_mid_run_stops_the_worker_with_a_clear_error()
    {
        using var db = new TempDatabase();
        var started = new TaskCompletionSource();
        await using var tem = db.Open(o => o.LeaseDuration = TimeSpan.FromSeconds(3), TemHandlerRegistry.Create(w => w.Register(Types.Echo, async (p, _, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(20, ct);
            return new EchoResult(p.N, "");
        })));
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(10_000));
        await tem.Worker.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        File.Delete(db.Path);

        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => tem.WaitForBatchAsync(batch.Id, Types.Timeout()));
        Assert.Contains("was deleted while the engine was using it", ex.Message);
    }

    [Fact]
    public async Task Once_the_file_is_known_deleted_every_later_write_throws_the_same_error()
    {
        using var db = new TempDatabase();
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var tem = db.Open(o => o.LeaseDuration = TimeSpan.FromSeconds(3), Types.EchoRegistry(async (p, _, ct) =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return new EchoResult(p.N, "");
        }));
        using var releaseAtEnd = new CallOnDispose(release.SetResult);
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(0));
        await tem.Worker.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        File.Delete(db.Path);
        var reported = await Assert.ThrowsAsync<TemDatabaseException>(() => tem.WaitForBatchAsync(batch.Id, Types.Timeout()));
        Assert.Contains("was deleted while the engine was using it", reported.Message);

        // Without the latch these succeeded, into an unlinked file that no one can open again.
        var create = await Assert.ThrowsAsync<TemDatabaseException>(() => tem.Batches.CreateAsync("b2", "t"));
        var enqueue = await Assert.ThrowsAsync<TemDatabaseException>(() => tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1)));
        var cancel = await Assert.ThrowsAsync<TemDatabaseException>(() => tem.Batches.CancelAsync(batch.Id));
        Assert.All([create, enqueue, cancel], ex => Assert.Equal(reported.Message, ex.Message));
        Assert.False(File.Exists(db.Path), "nothing recreated the file under its old name");
    }

    [Fact]
    public async Task Extreme_per_call_values_are_refused_or_treated_as_infinite()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: TemHandlerRegistry.Create(w => w.Register(Types.Echo, (p, _, _) => ValueTask.FromResult(new EchoResult(p.N, "")))));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var delay = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1), new EnqueueOptions { Delay = TimeSpan.MaxValue }));
        Assert.Contains("EnqueueOptions.Delay must be between zero and 36500 days", delay.Message);
        var far = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1), new EnqueueOptions { Delay = TimeSpan.FromDays(36_500) });
        Assert.True((await tem.Tasks.GetAsync(far)).RunAfter > DateTimeOffset.UtcNow.AddYears(99));
        await tem.Worker.StartAsync();
        await tem.Worker.StopAsync(TimeSpan.MaxValue).WaitAsync(TimeSpan.FromSeconds(30)); // an infinite timeout, nothing running
        Assert.Throws<ArgumentOutOfRangeException>(() => tem.WatchBatchAsync(batch.Id, TimeSpan.MaxValue).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
    }
}

/// <summary>Runs an action when disposed: lets a test release a blocked handler before its engine is disposed.</summary>
internal sealed class CallOnDispose(Action action) : IDisposable
{
    public void Dispose() => action();
}
