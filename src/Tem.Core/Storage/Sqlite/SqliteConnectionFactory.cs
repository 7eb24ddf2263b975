using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>Opens connections to a Tem file with the pragmas every connection needs.</summary>
internal static class SqliteConnectionFactory
{
    private static ReadOnlySpan<byte> SqliteHeader => "SQLite format 3\0"u8;

    /// <summary>Refuses paths that cannot be a Tem database before SQLite sees them, with a message that says why.</summary>
    public static void CheckPath(string path, bool readOnly = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new TemDatabaseException($"The folder of the database '{full}' does not exist. Create '{folder}' first, or choose another DatabasePath.");
        }

        if (Directory.Exists(full))
        {
            throw new TemDatabaseException($"The database path '{full}' is a folder. Set DatabasePath to a file inside it, for example '{System.IO.Path.Combine(full, "tem.db")}'.");
        }

        if (!File.Exists(full))
        {
            if (readOnly)
            {
                throw new TemDatabaseException($"The database '{full}' does not exist, and a read-only open never creates one. Check the path.");
            }

            return;
        }

        Span<byte> header = stackalloc byte[16];
        int read;
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TemDatabaseException($"The database '{full}' cannot be read: {ex.Message}", ex);
        }

        // An empty file is what some tools create as a placeholder; SQLite initialises it.
        if (read != 0 && (read < header.Length || !header.SequenceEqual(SqliteHeader)))
        {
            throw new TemDatabaseException($"The file '{full}' is not a SQLite database (its header is wrong). Point DatabasePath at a Tem database or at a new file name.");
        }
    }

    /// <summary>
    /// Opens a connection and sets only what lives in the connection (busy timeout, foreign keys): nothing in the file
    /// changes, so a file Tem then refuses is left exactly as it was. <see cref="PrepareForWriting"/> comes after the checks.
    /// </summary>
    public static SqliteConnection Open(string path, TimeSpan busyTimeout, bool readOnly)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"""
                PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds};
                PRAGMA foreign_keys = ON;
                """);
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(ex, path, busyTimeout);
        }
    }

    /// <summary>Switches the file to WAL and sets the commit durability: only for a file Tem has accepted as its own.</summary>
    public static void PrepareForWriting(SqliteConnection connection, TemDurability durability)
        => Execute(connection, $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = {(durability == TemDurability.Full ? "FULL" : "NORMAL")};
            """);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Turns SQLite's error codes into a message that says what happened and what to do.</summary>
    public static TemDatabaseException Translate(SqliteException ex, string path, TimeSpan busyTimeout) => ex.SqliteErrorCode switch
    {
        26 => new TemDatabaseException($"The file '{path}' is not a SQLite database. Point DatabasePath at a Tem database or at a new file name.", ex),
        11 => new TemDatabaseException($"The database '{path}' is corrupt (SQLite: {ex.Message}). Restore it from a backup or start a new file.", ex),
        8 => new TemDatabaseException($"The database '{path}' is read-only. Tem must write to it: check the file's and its folder's permissions.", ex),
        14 => new TemDatabaseException($"The database '{path}' cannot be opened (SQLite: {ex.Message}). Check that its folder exists and is writable.", ex),
        5 or 6 => new TemDatabaseException(
            $"The database '{path}' stayed locked by another connection or process for longer than BusyTimeout ({busyTimeout.TotalSeconds:0.###} s). " +
            "Nothing of this call was written; retry once the other process lets go, or raise TemOptions.BusyTimeout.", ex),
        13 => new TemDatabaseException($"The disk holding '{path}' is full. Nothing of this call was written; free space and retry.", ex),
        10 => new TemDatabaseException($"The database '{path}' could not be read or written (disk I/O error: {ex.Message}). Check the disk and retry.", ex),
        _ => new TemDatabaseException($"The database '{path}' cannot be used (SQLite error {ex.SqliteErrorCode}: {ex.Message}).", ex),
    };
}
