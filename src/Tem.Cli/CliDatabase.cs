namespace Tem.Cli;

/// <summary>Opens an existing Tem database for the commands; never creates one.</summary>
internal static class CliDatabase
{
    /// <summary>Opens the database: read-only (nothing in the file changes) unless <paramref name="write"/> is set for a command that steers.</summary>
    /// <remarks>
    /// A PostgreSQL connection string (<c>Host=…;Database=…</c>, optionally with <c>Schema=…</c>, default <c>tem</c>)
    /// works wherever a file path does.
    /// </remarks>
    public static TemEngine Open(string path, bool write = false)
    {
        if (PostgresDatabaseArgument.TryParse(path) is { } postgres)
        {
            postgres.ReadOnly = !write;
            return TemEngine.Open(new TemOptions { Store = postgres, PollInterval = TimeSpan.FromMilliseconds(250) });
        }

        if (!File.Exists(path))
        {
            throw new CliException($"database '{path}' not found.");
        }

        // A short poll keeps `watch` responsive; the CLI never starts the worker.
        return TemEngine.Open(new TemOptions
        {
            Store = new SqliteStoreOptions { Path = path, ReadOnly = !write },
            PollInterval = TimeSpan.FromMilliseconds(250),
        });
    }

    /// <summary>
    /// The batch named <paramref name="code"/>. The hint repeats a file path as typed; a connection string is not
    /// echoed (it may hold a password), and the store's description is no argument the tool reads.
    /// </summary>
    public static async Task<Batch> BatchByCodeAsync(TemEngine tem, string database, string code)
        => await tem.Batches.GetByCodeAsync(code).ConfigureAwait(false)
           ?? throw new CliException($"no batch with code '{code}' in '{tem.StoreDescription}'. `tem batches {(PostgresDatabaseArgument.TryParse(database) is null ? database : "<connection string>")}` lists them.");
}
