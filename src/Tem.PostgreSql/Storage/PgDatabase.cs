using System.Collections.Concurrent;
using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>
/// The connections to one Tem schema and the rules for using them: every store call is one transaction on a pooled
/// connection, retried with backoff while the error is transient (connection lost, failover, server restarting,
/// deadlock), and every error that ends the call leaves as a <see cref="TemDatabaseException"/> saying what to do.
/// SQL is written with <c>{s}</c> for the schema and <c>{now}</c> for the database clock in Unix milliseconds.
/// </summary>
internal sealed class PgDatabase : IAsyncDisposable
{
    /// <summary>The transaction's clock in Unix milliseconds: every stored time is the database's, never a host's.</summary>
    private const string NowMs = "(extract(epoch from now()) * 1000)::bigint";

    private readonly ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);
    private readonly bool _ownsDataSource;
    private readonly TimeSpan _retryFor;

    /// <summary>
    /// Whether any connection ever opened. Until one has, a failure to connect is a wrong host, port or password far
    /// more often than an outage, so it reaches the caller at once; outages later are ridden through for RetryFor.
    /// </summary>
    private volatile bool _connectedOnce;

    public PgDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, string schema, TimeSpan retryFor)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _retryFor = retryFor;
        Schema = schema;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}, schema {schema}";
        Channel = $"tem_{schema}";
    }

    public NpgsqlDataSource DataSource { get; }

    public string Schema { get; }

    /// <summary>Host, port, database and schema, for messages (never the password).</summary>
    public string Description { get; }

    /// <summary>This store's name in its notifications, so that it can skip its own (the engine signalled those already).</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The LISTEN/NOTIFY channel of this schema.</summary>
    public string Channel { get; }

    /// <summary>Opens a data source for <paramref name="connectionString"/>: the slim builder (NativeAOT-clean) with arrays and TLS, and auto-prepared hot statements.</summary>
    public static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 64; // the claim and outcome statements run thousands of times: parse and plan them once per connection
        }

        var builder = new NpgsqlSlimDataSourceBuilder(settings.ConnectionString);
        builder.EnableArrays();
        builder.EnableTransportSecurity();
        return builder.Build();
    }

    /// <summary>The statement for this schema.</summary>
    public string Sql(string template) => _sql.GetOrAdd(template, static (t, schema) => t.Replace("{s}", schema, StringComparison.Ordinal).Replace("{now}", NowMs, StringComparison.Ordinal), Schema);

    /// <summary>Runs <paramref name="work"/> in one transaction, retrying the whole of it while errors are transient.</summary>
    public ValueTask<T> RunAsync<T>(Func<PgSession, ValueTask<T>> work, CancellationToken cancellationToken, System.Data.IsolationLevel isolation = System.Data.IsolationLevel.ReadCommitted)
        => RunCoreAsync(work, transactional: true, isolation, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> — one statement, atomic by itself — without BEGIN and COMMIT: one round trip for
    /// the hottest call (the claim). Retried like <see cref="RunAsync{T}"/>.
    /// </summary>
    public ValueTask<T> RunStatementAsync<T>(Func<PgSession, ValueTask<T>> work, CancellationToken cancellationToken)
        => RunCoreAsync(work, transactional: false, System.Data.IsolationLevel.ReadCommitted, cancellationToken);

    private async ValueTask<T> RunCoreAsync<T>(Func<PgSession, ValueTask<T>> work, bool transactional, System.Data.IsolationLevel isolation, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                _connectedOnce = true;
                if (!transactional)
                {
                    return await work(new PgSession(this, connection, null)).ConfigureAwait(false);
                }

                await using var transaction = await connection.BeginTransactionAsync(isolation, cancellationToken).ConfigureAwait(false);
                var tx = new PgSession(this, connection, transaction);
                var result = await work(tx).ConfigureAwait(false);
                await tx.SendNotificationsAsync(cancellationToken).ConfigureAwait(false);
                // Not cancellable: a commit cut off midway leaves the caller not knowing whether it happened.
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return result;
            }
            catch (NpgsqlException ex) when (_connectedOnce && IsTransient(ex) && started.Elapsed + delay < _retryFor && !cancellationToken.IsCancellationRequested)
            {
                // A transaction that failed before its commit left nothing behind; one whose commit was lost in flight may
                // have committed, and running it again is what at-least-once allows (claims and outcomes are conditional).
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw _connectedOnce
                    ? PgErrors.Translate(ex, Description, IsTransient(ex) ? _retryFor : null)
                    : PgErrors.TranslateFirstConnection(ex, Description);
            }
        }
    }

    /// <summary>Connection-level failures, failover, restarts and lock conflicts the server resolved by aborting us.</summary>
    public static bool IsTransient(NpgsqlException ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.ReadOnlySqlTransaction,
        _ => ex.IsTransient || ex.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
    };

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
