namespace Tem;

/// <summary>A SQLite file: one process, or several processes on one machine. <see cref="TemOptions.DatabasePath"/> is the shorthand for it.</summary>
public sealed class SqliteStoreOptions : TemStoreOptions
{
    /// <summary>The database file; created if missing (its folder must exist). Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Commit durability. Default <see cref="TemDurability.Normal"/>.</summary>
    public TemDurability Durability { get; set; } = TemDurability.Normal;

    /// <summary>How long a statement waits for another process's write lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opens the file for reading only: nothing in it changes (no journal-mode switch, no migration, no recovery),
    /// and every write is refused with a <see cref="TemDatabaseException"/>. For tools that only look, such as
    /// <c>tem batches</c>. Default false.
    /// </summary>
    public bool ReadOnly { get; set; }

    internal override bool IsReadOnly => ReadOnly;

    internal override void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new TemConfigurationException("TemOptions.DatabasePath is empty. Set it to the SQLite file Tem should use, for example \"tem.db\".");
        }

        if (LooksLikePostgres(Path))
        {
            // Else SQLite would create a file named "Host=db;Username=…" and the app would run on it, alone.
            throw new TemConfigurationException(
                "TemOptions.DatabasePath holds what looks like a PostgreSQL connection string, but DatabasePath is a SQLite file path. " +
                "For PostgreSQL, add the Tem.PostgreSql package and call options.UsePostgres(connectionString) instead; for SQLite, set DatabasePath to a file such as \"tem.db\".");
        }

        if (!Enum.IsDefined(Durability))
        {
            throw new TemConfigurationException($"TemOptions.Durability is {(int)Durability}, which is not a TemDurability value; use Normal or Full.");
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > TimeSpan.FromDays(1))
        {
            throw new TemConfigurationException($"TemOptions.BusyTimeout is {BusyTimeout}; it must be a positive time span of at most one day.");
        }
    }

    /// <summary>A postgres:// URI, or Key=Value pairs naming a server (Host=, Server=, Port=, Username=...).</summary>
    private static bool LooksLikePostgres(string path)
    {
        var text = path.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var pair in text.Split(';'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? pair[..equals].Trim() : "";
            if (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)
                || key.Equals("Username", StringComparison.OrdinalIgnoreCase) || key.Equals("User ID", StringComparison.OrdinalIgnoreCase)
                || key.Equals("Port", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal override ValueTask<Storage.ITemStore> OpenAsync(TimeProvider clock, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Storage.SqliteTemStore.Open(this, clock));
    }
}
