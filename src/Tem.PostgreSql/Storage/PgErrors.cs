using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>Turns Npgsql's errors into <see cref="TemDatabaseException"/>s that say what went wrong and what to do.</summary>
internal static class PgErrors
{
    /// <summary>The engine's first connection failed: said at once, without the RetryFor retries an outage gets later.</summary>
    public static TemDatabaseException TranslateFirstConnection(NpgsqlException ex, string description)
    {
        var error = Translate(ex, description, null);
        return new TemDatabaseException(
            error.Message + " (This was the first connection of this store, so Tem did not retry; once connected, outages are retried for PostgresStoreOptions.RetryFor.)",
            ex);
    }

    public static TemDatabaseException Translate(NpgsqlException ex, string description, TimeSpan? retriedFor)
    {
        var what = ex is PostgresException pg ? $"{pg.MessageText} (SQLSTATE {pg.SqlState})" : ex.Message;
        var advice = ex is PostgresException p ? p.SqlState switch
        {
            PostgresErrorCodes.InvalidCatalogName => "The database does not exist: create it (createdb) or fix Database= in the connection string.",
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
                => "The server refused the login: check Username= and Password= in the connection string, and pg_hba.conf.",
            PostgresErrorCodes.InsufficientPrivilege
                => "The user lacks a privilege Tem needs: grant it CREATE on the database (Tem creates its schema and tables) and use of the schema, or let an owner run Tem once to migrate.",
            PostgresErrorCodes.TooManyConnections
                => "The server has no free connections: lower Maximum Pool Size in the connection string or raise max_connections on the server.",
            PostgresErrorCodes.DiskFull => "The server's disk is full: free space on it, then retry.",
            _ => "Check the server's log for the cause; if the schema was changed by hand, restore it or point Tem at a new schema.",
        }
        : "Check that the server is running and reachable from this host, and that Host= and Port= in the connection string are right.";
        var retried = retriedFor is { } span ? $" Tem retried for {span.TotalSeconds:0.#} s (PostgresStoreOptions.RetryFor)." : "";
        return new TemDatabaseException($"{description} failed: {what}.{retried} {advice}", ex);
    }
}
