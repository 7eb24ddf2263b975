namespace Tem.Aspire.Hosting;

/// <summary>
/// Opens the resource's database in the app host for a command, as the tem tool reads its database argument: a string
/// with <c>key=value</c> pairs that is not a file is a PostgreSQL connection string (<c>Schema=</c>, Tem's own key,
/// names the schema, default <c>tem</c>); anything else is a SQLite file, which must exist.
/// </summary>
internal static class TemDatabase
{
    public static TemEngine Open(string database, string workingDirectory)
    {
        var path = Path.IsPathRooted(database) ? database : Path.Combine(workingDirectory, database);
        if (database.Contains('=', StringComparison.Ordinal) && !File.Exists(path))
        {
            var (connectionString, schema) = SplitSchema(database);
            return TemEngine.Open(new TemOptions().UsePostgres(connectionString, schema));
        }

        if (!File.Exists(path))
        {
            throw new TemDatabaseNotFoundException(
                $"The Tem database '{path}' does not exist yet. Start the app that creates it (TemOptions.DatabasePath), then run the command again.");
        }

        return TemEngine.Open(new TemOptions { DatabasePath = path });
    }

    private static (string ConnectionString, string Schema) SplitSchema(string database)
    {
        var schema = "tem";
        var rest = new List<string>();
        foreach (var pair in database.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair[..equals].Trim().Equals("schema", StringComparison.OrdinalIgnoreCase))
            {
                schema = pair[(equals + 1)..].Trim();
            }
            else
            {
                rest.Add(pair);
            }
        }

        return (string.Join(';', rest), schema);
    }
}
