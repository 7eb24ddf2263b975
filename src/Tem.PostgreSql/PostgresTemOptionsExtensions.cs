using Npgsql;

namespace Tem;

/// <summary>
/// The one-line switch from a SQLite file to PostgreSQL: add <c>.UsePostgres(...)</c> after the options, and it replaces
/// <see cref="TemOptions.DatabasePath"/> (the file is no longer used), so nothing else needs to change.
/// </summary>
public static class PostgresTemOptionsExtensions
{
    /// <summary>Keeps batches and tasks in PostgreSQL at <paramref name="connectionString"/>, in the schema <c>tem</c>.</summary>
    /// <returns>The same options, for chaining.</returns>
    public static TemOptions UsePostgres(this TemOptions options, string connectionString) => UsePostgres(options, connectionString, "tem");

    /// <summary>Keeps batches and tasks in PostgreSQL at <paramref name="connectionString"/>, in <paramref name="schema"/>.</summary>
    /// <returns>The same options, for chaining.</returns>
    public static TemOptions UsePostgres(this TemOptions options, string connectionString, string schema)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.DatabasePath = ""; // the one line replaces the file, rather than conflicting with it
        options.Store = new PostgresStoreOptions { ConnectionString = connectionString, Schema = schema };
        return options;
    }

    /// <summary>Keeps batches and tasks in the PostgreSQL database of <paramref name="dataSource"/> (which the caller disposes), in the schema <c>tem</c>.</summary>
    /// <returns>The same options, for chaining.</returns>
    public static TemOptions UsePostgres(this TemOptions options, NpgsqlDataSource dataSource) => UsePostgres(options, dataSource, "tem");

    /// <summary>Keeps batches and tasks in the PostgreSQL database of <paramref name="dataSource"/> (which the caller disposes), in <paramref name="schema"/>.</summary>
    /// <returns>The same options, for chaining.</returns>
    public static TemOptions UsePostgres(this TemOptions options, NpgsqlDataSource dataSource, string schema)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataSource);
        options.DatabasePath = "";
        options.Store = new PostgresStoreOptions { DataSource = dataSource, Schema = schema };
        return options;
    }
}
