namespace Tem.Cli;

/// <summary>
/// The database argument read as a PostgreSQL connection string: anything with <c>key=value</c> pairs (a file path
/// has none). <c>Schema=</c> is Tem's own key — which schema holds Tem's tables — and is taken out before the rest
/// goes to Npgsql.
/// </summary>
internal static class PostgresDatabaseArgument
{
    public static PostgresStoreOptions? TryParse(string argument)
    {
        if (!argument.Contains('=', StringComparison.Ordinal) || File.Exists(argument))
        {
            return null;
        }

        var schema = "tem";
        var rest = new List<string>();
        foreach (var pair in argument.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
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

        return new PostgresStoreOptions { ConnectionString = string.Join(';', rest), Schema = schema };
    }
}
