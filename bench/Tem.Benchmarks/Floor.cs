using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tem.Benchmarks;

/// <summary>
/// SQLite's own floor: the statements the engine runs, done directly with Microsoft.Data.Sqlite in a
/// tight loop — prepared once, one transaction per group, the same pragmas, on a file whose schema the
/// engine itself created. Nothing here touches the engine's code paths.
/// </summary>
internal static class Floor
{
    // The engine's own statements, shared rather than copied: the floor runs exactly what the engine runs.
    public const string InsertTaskSql = Tem.Storage.SqliteTaskStatements.Insert;

    public const string ClaimSql = Tem.Storage.SqliteRunStatements.Claim;

    public const string CompleteSql = Tem.Storage.SqliteRunStatements.Complete;

    /// <summary>Creates the file with the engine's own schema and migrations.</summary>
    public static async Task CreateSchemaAsync(string path)
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = path });
    }

    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, """
            PRAGMA busy_timeout = 30000;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA foreign_keys = ON;
            """);
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long InsertBatch(SqliteConnection connection, string code, string status)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO batch (code, type, status, created_at) VALUES ($code, 'bench', $status, $now) RETURNING id;";
        command.Parameters.AddWithValue("$code", code);
        command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Inserts <paramref name="count"/> pending tasks in one transaction (the same statement and values as the engine's enqueue, JSON included).</summary>
    public static void InsertPending(SqliteConnection connection, long batchId, int count)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = InsertTaskSql;
        insert.Parameters.AddWithValue("$batch", batchId);
        insert.Parameters.AddWithValue("$type", BenchTypes.Small.Name);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        insert.Parameters.AddWithValue("$status", "pending");
        insert.Parameters.AddWithValue("$max", 3);
        insert.Parameters.AddWithValue("$priority", 0);
        insert.Parameters.AddWithValue("$delay", 0);
        insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$key", DBNull.Value);
        insert.Parameters.AddWithValue("$token", DBNull.Value);
        insert.Parameters.AddWithValue("$trace", DBNull.Value);
        insert.Prepare();
        foreach (var p in BenchTypes.Payloads(count))
        {
            payload.Value = JsonSerializer.Serialize(p, BenchJson.Default.SmallPayload);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Enqueue floor: rows/s of the engine's INSERT, prepared, one transaction, JSON serialisation included.</summary>
    public static async Task<double> EnqueueRowsPerSecondAsync(Scratch scratch, int count)
    {
        var path = scratch.NewPath("floor-enqueue");
        await CreateSchemaAsync(path);
        try
        {
            using var connection = Open(path);
            var batchId = InsertBatch(connection, "floor", "active");
            var watch = Stopwatch.StartNew();
            InsertPending(connection, batchId, count);
            return count / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            Scratch.Delete(path);
        }
    }

    /// <summary>
    /// No-op floor: claim <paramref name="group"/> rows with the claim statement in one transaction, then complete
    /// them with the prepared completion statement in one transaction, until nothing is left. Returns tasks/s.
    /// </summary>
    public static async Task<double> NoopTasksPerSecondAsync(Scratch scratch, int count, int group)
    {
        var path = scratch.NewPath("floor-noop");
        try
        {
            using var connection = await OpenWithPendingAsync(path, count);
            using var statements = new RunCommands(connection);
            var claimed = new List<(long Id, long Version)>(group);
            var done = 0;
            var watch = Stopwatch.StartNew();
            while (true)
            {
                claimed.Clear();
                using (var transaction = connection.BeginTransaction(deferred: false))
                {
                    statements.Claim(transaction, group, claimed);
                    transaction.Commit();
                }

                if (claimed.Count == 0)
                {
                    break;
                }

                using (var transaction = connection.BeginTransaction(deferred: false))
                {
                    foreach (var (taskId, taskVersion) in claimed)
                    {
                        done += statements.Complete(transaction, taskId, taskVersion);
                    }

                    transaction.Commit();
                }
            }

            var seconds = watch.Elapsed.TotalSeconds;
            if (done != count)
            {
                throw new InvalidOperationException($"Floor completed {done} of {count} tasks.");
            }

            return count / seconds;
        }
        finally
        {
            Scratch.Delete(path);
        }
    }

    /// <summary>
    /// The IO-bound scenario's floor under the crash bound: the same waits under the same width, but a finished
    /// task's completion is committed before its slot takes the next task, and the next tasks are claimed in that
    /// same transaction — the least an engine keeping the bound must do, with no engine around it. One writer;
    /// whatever finished while it was busy is the next group. Returns seconds.
    /// </summary>
    public static async Task<double> IoBoundDurableSecondsAsync(Scratch scratch, int count, int concurrency, int delayMs)
    {
        var path = scratch.NewPath("floor-io");
        try
        {
            using var connection = await OpenWithPendingAsync(path, count);
            using var statements = new RunCommands(connection);
            var finished = System.Threading.Channels.Channel.CreateUnbounded<(long Id, long Version)>();
            var group = new List<(long Id, long Version)>(concurrency);
            var claimed = new List<(long Id, long Version)>(concurrency);
            var (done, free) = (0, concurrency);
            var watch = Stopwatch.StartNew();
            while (done < count)
            {
                group.Clear();
                claimed.Clear();
                if (free < concurrency)
                {
                    await finished.Reader.WaitToReadAsync();
                    while (finished.Reader.TryRead(out var task))
                    {
                        group.Add(task);
                    }
                }

                using (var transaction = connection.BeginTransaction(deferred: false))
                {
                    foreach (var (taskId, taskVersion) in group)
                    {
                        done += statements.Complete(transaction, taskId, taskVersion);
                    }

                    statements.Claim(transaction, free + group.Count, claimed);
                    transaction.Commit();
                }

                free += group.Count - claimed.Count;
                foreach (var task in claimed)
                {
                    _ = Task.Run(async () =>
                    {
                        await Task.Delay(delayMs);
                        finished.Writer.TryWrite(task);
                    });
                }
            }

            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            Scratch.Delete(path);
        }
    }

    /// <summary>A new file with the engine's schema and <paramref name="count"/> pending tasks in one active batch, opened.</summary>
    private static async Task<SqliteConnection> OpenWithPendingAsync(string path, int count)
    {
        await CreateSchemaAsync(path);
        var connection = Open(path);
        InsertPending(connection, InsertBatch(connection, "floor", "active"), count);
        return connection;
    }

    /// <summary>The engine's claim and completion statements, prepared once on one connection.</summary>
    private sealed class RunCommands : IDisposable
    {
        private readonly SqliteCommand _claim;
        private readonly SqliteParameter _claimNow;
        private readonly SqliteParameter _limit;
        private readonly SqliteCommand _complete;
        private readonly SqliteParameter _completeNow;
        private readonly SqliteParameter _id;
        private readonly SqliteParameter _version;

        public RunCommands(SqliteConnection connection)
        {
            _claim = connection.CreateCommand();
            _claim.CommandText = ClaimSql;
            _claim.Parameters.AddWithValue("$owner", "floor:1");
            _claim.Parameters.AddWithValue("$lease", 30_000);
            _claimNow = _claim.Parameters.Add("$now", SqliteType.Integer);
            _claim.Parameters.AddWithValue("$types", $"[\"{BenchTypes.Small.Name}\"]");
            _limit = _claim.Parameters.Add("$limit", SqliteType.Integer);
            _claim.Parameters.AddWithValue("$batchIds", DBNull.Value);
            _claim.Parameters.AddWithValue("$batchTypes", DBNull.Value);
            _claim.Parameters.AddWithValue("$routed", DBNull.Value); // no LLM types: every task runs live
            _claim.Parameters.AddWithValue("$forSubmission", 0);
            _complete = connection.CreateCommand();
            _complete.CommandText = CompleteSql;
            _complete.Parameters.AddWithValue("$result", DBNull.Value);
            _completeNow = _complete.Parameters.Add("$now", SqliteType.Integer);
            _id = _complete.Parameters.Add("$id", SqliteType.Integer);
            _version = _complete.Parameters.Add("$version", SqliteType.Integer);
        }

        /// <summary>Claims up to <paramref name="limit"/> tasks into <paramref name="claimed"/>, reading each payload as the engine must.</summary>
        public void Claim(SqliteTransaction transaction, int limit, List<(long Id, long Version)> claimed)
        {
            if (limit == 0)
            {
                return;
            }

            _claim.Transaction = transaction;
            _claimNow.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _limit.Value = limit;
            using var reader = _claim.ExecuteReader();
            while (reader.Read())
            {
                _ = reader.GetString(3);
                claimed.Add((reader.GetInt64(0), reader.GetInt64(6)));
            }
        }

        public int Complete(SqliteTransaction transaction, long id, long version)
        {
            _complete.Transaction = transaction;
            _completeNow.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _id.Value = id;
            _version.Value = version;
            return _complete.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _claim.Dispose();
            _complete.Dispose();
        }
    }

    /// <summary>
    /// Builds a file that already holds <paramref name="count"/> tasks of one batch, fast, with direct SQL: completed
    /// tasks of a completed batch, or with <paramref name="held"/> the pending tasks of an interrupted one.
    /// </summary>
    public static async Task BuildHistoryFileAsync(string path, int count, bool held = false)
    {
        await CreateSchemaAsync(path);
        using var connection = Open(path);
        var batchId = InsertBatch(connection, "history", held ? "interrupted" : "completed");
        using var transaction = connection.BeginTransaction(deferred: false);
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO task (batch_id, type, status, payload, result, attempt, max_attempts, priority, run_after,
                              claimed_at, completed_at, created_at, version)
            VALUES ($batch, $type, $status, $payload, NULL, 1, 3, 0, $now, $now, $now, $now, 2);
            """;
        insert.Parameters.AddWithValue("$batch", batchId);
        insert.Parameters.AddWithValue("$status", held ? "pending" : "completed");
        insert.Parameters.AddWithValue("$type", BenchTypes.Small.Name);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        insert.Prepare();
        foreach (var p in BenchTypes.Payloads(count))
        {
            payload.Value = JsonSerializer.Serialize(p, BenchJson.Default.SmallPayload);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }
}
