using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>
/// The connections to one Tem file and the rules for using them: one connection writes (SQLite has one writer
/// anyway, and in-process writes queue on a lock rather than spin on SQLITE_BUSY), a second reads beside it (WAL).
/// Write transactions begin IMMEDIATE so that processes sharing the file wait on busy_timeout instead of failing on
/// a lock upgrade. Every SQLite error leaves here as a <see cref="TemDatabaseException"/> that says what to do.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly object _writeGate = new();
    private readonly object _readGate = new();
    private readonly SqliteConnection _writer;
    private readonly SqliteConnection _reader;
    private readonly StatementCache _writes;
    private readonly StatementCache _reads;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _busyTimeout;
    private bool _disposed;
    private bool _checkpointOwed;
    private FileIdentity? _identity;
    private volatile string? _lostFile; // set once the path no longer names our file: every later write is refused

    private SqliteDatabase(string path, SqliteConnection writer, SqliteConnection reader, TimeProvider clock, TimeSpan busyTimeout)
    {
        Path = path;
        _writer = writer;
        _reader = reader;
        _writes = new StatementCache(writer);
        _reads = new StatementCache(reader);
        _clock = clock;
        _busyTimeout = busyTimeout;
    }

    public string Path { get; }

    /// <summary>Opened for reading only (the CLI's read commands): every write is refused and nothing in the file changes.</summary>
    public bool ReadOnly { get; private init; }

    /// <summary>The store's clock in Unix milliseconds: every stored time comes from here, never from a caller.</summary>
    public long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static SqliteDatabase Open(SqliteStoreOptions options, TimeProvider clock)
    {
        var path = options.Path;
        SqliteConnectionFactory.CheckPath(path, options.ReadOnly);
        var writer = SqliteConnectionFactory.Open(path, options.BusyTimeout, options.ReadOnly);
        try
        {
            // Checked before anything is written: a file Tem refuses keeps its journal mode and every byte.
            Schema.Check(writer, path);
            if (!options.ReadOnly)
            {
                SqliteConnectionFactory.PrepareForWriting(writer, options.Durability);
                Schema.Migrate(writer, path);
            }
        }
        catch (SqliteException ex)
        {
            writer.Dispose();
            throw SqliteConnectionFactory.Translate(ex, path, options.BusyTimeout);
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        var reader = SqliteConnectionFactory.Open(path, options.BusyTimeout, options.ReadOnly);
        return new SqliteDatabase(path, writer, reader, clock, options.BusyTimeout) { ReadOnly = options.ReadOnly, _identity = FileIdentity.Of(path) };
    }

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction on the writer; rolls back if it throws.</summary>
    public T Write<T>(Func<SqliteWrite, T> work)
    {
        if (ReadOnly)
        {
            throw new TemDatabaseException($"The database '{Path}' was opened read-only, so Tem cannot change it. Open it without SqliteStoreOptions.ReadOnly to run or steer batches.");
        }

        if (_lostFile is { } lost)
        {
            throw new TemDatabaseException(lost);
        }

        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                T result;
                using (var transaction = _writer.BeginTransaction(deferred: false))
                {
                    result = work(new SqliteWrite(transaction, _writes, NowMs()));
                    transaction.Commit();
                }

                if (_checkpointOwed)
                {
                    Checkpoint();
                }

                return result;
            }
            catch (SqliteException ex)
            {
                // After a full disk or an I/O error the WAL can be left at a size where SQLite never checkpoints on
                // its own; once writes succeed again, one checkpoint brings it back to nothing.
                _checkpointOwed |= ex.SqliteErrorCode is 13 or 10;
                throw Translate(ex);
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on the reader connection.</summary>
    public T Read<T>(Func<SqliteRead, T> work)
    {
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return work(new SqliteRead(_reader, null, _reads));
            }
            catch (SqliteException ex)
            {
                throw Translate(ex);
            }
        }
    }

    /// <summary>An I/O error from a file that is no longer there is reported as that, not as a disk fault.</summary>
    private TemDatabaseException Translate(SqliteException ex)
    {
        if (ex.SqliteErrorCode is 10 or 14 or 8)
        {
            try
            {
                VerifyFileIsStillThere();
            }
            catch (TemDatabaseException gone)
            {
                return gone;
            }
        }

        return SqliteConnectionFactory.Translate(ex, Path, _busyTimeout);
    }

    /// <summary>Runs <paramref name="work"/> on the reader connection inside one read transaction: a consistent snapshot.</summary>
    public T ReadSnapshot<T>(Func<SqliteRead, T> work) => Read(read =>
    {
        using var snapshot = _reader.BeginTransaction(deferred: true);
        var result = work(read with { Transaction = snapshot });
        snapshot.Commit();
        return result;
    });

    /// <summary>
    /// Throws if the path no longer names the file this store has open: deleted or replaced while the engine ran,
    /// every later write would go to a file nobody can open again.
    /// Once seen, the loss is latched: a write that succeeded afterwards would land in the unlinked file (or in the
    /// wrong one), so every later write throws this same error, even if a file appears under the path again.
    /// </summary>
    public void VerifyFileIsStillThere()
    {
        if (_lostFile is { } lost)
        {
            throw new TemDatabaseException(lost);
        }

        var now = FileIdentity.Of(Path);
        if (now is null || (_identity is { } then && now != then))
        {
            _lostFile = $"The database file '{Path}' was {(now is null ? "deleted" : "replaced by another file")} while the engine was using it. " +
                "The worker stopped claiming; results written since are not in any file you can open. Restore the file (or point DatabasePath at the right one), open a new engine and resume the batch.";
            throw new TemDatabaseException(_lostFile);
        }
    }

    private void Checkpoint()
    {
        try
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
            _checkpointOwed = false;
        }
        catch (SqliteException)
        {
            // Still short of space or busy: the next successful write tries again.
        }
    }

    public void Dispose()
    {
        lock (_writeGate)
        {
            lock (_readGate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _writes.Dispose();
                _reads.Dispose();
                _reader.Dispose();
                _writer.Dispose();
            }
        }
    }
}

/// <summary>One write transaction: its commands, cached hot statements, and the store's clock read once at its start.</summary>
internal readonly record struct SqliteWrite(SqliteTransaction Transaction, StatementCache Cache, long NowMs)
{
    /// <summary>A hot statement kept prepared for the connection's life, bound to this transaction.</summary>
    public SqliteCommand Hot(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) => Cache.Get(Transaction, sql, parameters);

    /// <summary>A one-off command in this transaction; dispose it.</summary>
    public SqliteCommand Command(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
        => SqliteCommands.Create(Transaction.Connection!, Transaction, sql, parameters);

    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The same transaction seen as a read, for queries shared with the reader.</summary>
    public SqliteRead AsRead() => new(Transaction.Connection!, Transaction, Cache);
}

/// <summary>A read on one connection, inside a snapshot transaction or not.</summary>
internal readonly record struct SqliteRead(SqliteConnection Connection, SqliteTransaction? Transaction, StatementCache Cache)
{
    public SqliteCommand Hot(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) => Cache.Get(Transaction, sql, parameters);

    public SqliteCommand Command(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
        => SqliteCommands.Create(Connection, Transaction, sql, parameters);

    /// <summary>Reads every row of <paramref name="sql"/> with <paramref name="map"/>.</summary>
    public List<T> List<T>(string sql, Func<SqliteDataReader, T> map, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }

        return list;
    }
}

/// <summary>Builds commands with named parameters.</summary>
internal static class SqliteCommands
{
    public static SqliteCommand Create(SqliteConnection connection, SqliteTransaction? transaction, string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
