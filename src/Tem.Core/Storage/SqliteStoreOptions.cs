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

        if (!Enum.IsDefined(Durability))
        {
            throw new TemConfigurationException($"TemOptions.Durability is {(int)Durability}, which is not a TemDurability value; use Normal or Full.");
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > TimeSpan.FromDays(1))
        {
            throw new TemConfigurationException($"TemOptions.BusyTimeout is {BusyTimeout}; it must be a positive time span of at most one day.");
        }
    }

    internal override ValueTask<Storage.ITemStore> OpenAsync(TimeProvider clock, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Storage.SqliteTemStore.Open(this, clock));
    }
}
