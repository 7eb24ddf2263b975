using System.Text.RegularExpressions;
using Npgsql;

namespace Tem;

/// <summary>
/// A PostgreSQL database: one queue for engines in many processes on many machines. Claims use
/// <c>FOR UPDATE SKIP LOCKED</c>, times come from the database's clock, and LISTEN/NOTIFY wakes every engine when
/// work arrives or a batch is cancelled. Set <see cref="ConnectionString"/> or <see cref="DataSource"/>; the shorthand
/// is <see cref="PostgresTemOptionsExtensions.UsePostgres(TemOptions, string)"/>.
/// </summary>
public sealed partial class PostgresStoreOptions : TemStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=tem;Username=tem;Password=…</c>. Set this or <see cref="DataSource"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A data source the application already built (and disposes). Set this or <see cref="ConnectionString"/>.</summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>The schema Tem keeps its tables in; created if missing. Lower-case letters, digits and underscores. Default <c>tem</c>.</summary>
    public string Schema { get; set; } = "tem";

    /// <summary>
    /// How long a statement that failed on a transient error (connection lost, failover, server restarting, deadlock)
    /// is retried, with backoff, before the error reaches the caller. Default 30 s.
    /// </summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opens for reading only, as tools that look do (the <c>tem</c> command): the schema is never created or
    /// migrated — a database without Tem's schema, or with an older one, is refused — and the engine writes nothing
    /// when it opens. Default false.
    /// </summary>
    public bool ReadOnly { get; set; }

    internal override bool IsReadOnly => ReadOnly;

    internal override void Validate()
    {
        if (DataSource is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new TemConfigurationException(
                "PostgresStoreOptions has neither ConnectionString nor DataSource. Set one, e.g. options.UsePostgres(\"Host=localhost;Database=tem;Username=tem\").");
        }

        if (DataSource is not null && !string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new TemConfigurationException("PostgresStoreOptions sets both ConnectionString and DataSource. Set one of them.");
        }

        if (ConnectionString is not null && DataSource is null)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException ex)
            {
                throw new TemConfigurationException(
                    $"The PostgreSQL connection string is not valid: {ex.Message} Write it as Key=Value pairs, e.g. \"Host=localhost;Port=5432;Database=tem;Username=tem\".");
            }
        }

        if (string.IsNullOrEmpty(Schema) || !SchemaName().IsMatch(Schema))
        {
            throw new TemConfigurationException(
                $"PostgresStoreOptions.Schema is '{Schema}'; use a plain PostgreSQL name: a lower-case letter or underscore, then lower-case letters, digits or underscores (at most 63), e.g. \"tem\".");
        }

        if (RetryFor < TimeSpan.Zero || RetryFor > TimeSpan.FromDays(1))
        {
            throw new TemConfigurationException($"PostgresStoreOptions.RetryFor is {RetryFor}; it must be zero (no retries) or positive, at most one day.");
        }
    }

    internal override async ValueTask<Storage.ITemStore> OpenAsync(TimeProvider clock, CancellationToken cancellationToken)
        => await Storage.Postgres.PostgresTemStore.OpenAsync(this, cancellationToken).ConfigureAwait(false);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
