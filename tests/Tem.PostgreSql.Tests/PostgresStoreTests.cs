using Tem.Storage;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>Opening a PostgreSQL store: migrations once under concurrency, refusals, and errors that say what to do.</summary>
public sealed class PostgresStoreTests : SchemaTest
{
    private static async Task<ITemStore> OpenAsync(PostgresStoreOptions options)
    {
        options.Validate();
        return await options.OpenAsync(TimeProvider.System, CancellationToken.None);
    }

    [Fact]
    public async Task Ten_stores_opening_a_new_schema_at_once_migrate_it_exactly_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => OpenAsync(PostgresServer.Options(Schema)))));
        try
        {
            // One row per migration, each written once: no host ran a migration a second time.
            Assert.Equal((long)Storage.Postgres.PgSchema.CurrentVersion, await PostgresServer.ScalarAsync($"SELECT COUNT(*) FROM {Schema}.schema_version;"));
            Assert.Equal((long)Storage.Postgres.PgSchema.CurrentVersion, await PostgresServer.ScalarAsync($"SELECT COUNT(DISTINCT version) FROM {Schema}.schema_version;"));
            var batch = await stores[3].CreateBatchAsync("b", "t", null, null, CancellationToken.None);
            Assert.Equal(batch.Id, (await stores[7].GetBatchByCodeAsync("b", CancellationToken.None))!.Id);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_schema_from_a_newer_Tem_is_refused()
    {
        await (await OpenAsync(PostgresServer.Options(Schema))).DisposeAsync();
        await PostgresServer.ScalarAsync($"INSERT INTO {Schema}.schema_version (version) VALUES (99);");
        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => OpenAsync(PostgresServer.Options(Schema)));
        Assert.Contains("schema version 99, written by a newer Tem", ex.Message);
        Assert.Contains("Upgrade Tem", ex.Message);
    }

    [Fact]
    public async Task A_schema_holding_someone_elses_tables_is_refused()
    {
        await PostgresServer.ScalarAsync($"CREATE SCHEMA {Schema}; CREATE TABLE {Schema}.orders (id int);");
        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => OpenAsync(PostgresServer.Options(Schema)));
        Assert.Contains("belongs to something else", ex.Message);
    }

    [Theory]
    // Flyway keeps its history in a table of this name with text versions: MAX(version) was a raw COALESCE type error.
    [InlineData("CREATE TABLE {s}.schema_version (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200)); INSERT INTO {s}.schema_version VALUES (1, '1.0', 'init');", false)]
    [InlineData("CREATE TABLE {s}.schema_version (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200)); INSERT INTO {s}.schema_version VALUES (1, '1.0', 'init');", true)]
    // An empty table of Tem's own shape beside another application's tables: Tem created its tables beside them.
    [InlineData("CREATE TABLE {s}.schema_version (version integer NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now()); CREATE TABLE {s}.customers (id int);", false)]
    [InlineData("CREATE TABLE {s}.schema_version (version integer NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now()); CREATE TABLE {s}.customers (id int);", true)]
    // An empty foreign version table beside foreign tables: "relation batch already exists" or a modified schema.
    [InlineData("CREATE TABLE {s}.schema_version (id int); CREATE TABLE {s}.batch (id int);", false)]
    public async Task A_schema_with_someone_elses_schema_version_table_is_refused_by_name_and_left_unchanged(string setup, bool readOnly)
    {
        await PostgresServer.ScalarAsync($"CREATE SCHEMA {Schema}; " + setup.Replace("{s}", Schema, StringComparison.Ordinal));
        const string Tables = "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = '{0}';";
        var before = await PostgresServer.ScalarAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Tables, Schema));
        var rowsBefore = await PostgresServer.ScalarAsync($"SELECT COUNT(*) FROM {Schema}.schema_version;");

        var options = PostgresServer.Options(Schema);
        options.ReadOnly = readOnly;
        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => OpenAsync(options));
        Assert.True(ex.Message.Contains($"the schema '{Schema}'", StringComparison.Ordinal), ex.Message);
        Assert.True(ex.Message.Contains("belongs to something else", StringComparison.Ordinal), ex.Message);
        Assert.True(ex.Message.Contains("Choose another schema", StringComparison.Ordinal), ex.Message);
        Assert.Equal(before, await PostgresServer.ScalarAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Tables, Schema)));
        Assert.Equal(rowsBefore, await PostgresServer.ScalarAsync($"SELECT COUNT(*) FROM {Schema}.schema_version;"));
    }

    [Fact]
    public async Task A_wrong_port_at_open_fails_at_once_without_riding_through_RetryFor()
    {
        // Issue 27 item 8: a wrong port took 29 s to fail (the mid-run RetryFor). The first connection fails fast.
        var options = new PostgresStoreOptions { ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2", Schema = Schema, RetryFor = TimeSpan.FromSeconds(60) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => OpenAsync(options));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"Opening took {clock.Elapsed}; the first connection should not be retried for RetryFor (60 s).");
        Assert.Contains("PostgreSQL 127.0.0.1:1", ex.Message);
        Assert.Contains("Check that the server is running", ex.Message);
        Assert.Contains("first connection of this store, so Tem did not retry", ex.Message);
        Assert.DoesNotContain("Password", ex.Message);
    }

    [Fact]
    public async Task UsePostgres_is_the_one_line_that_changes_even_with_DatabasePath_set()
    {
        // Issue 27 item 3: the README's "change one line" used to need DatabasePath removed as well.
        var options = new TemOptions { DatabasePath = "tem.db", Concurrency = 4 }.UsePostgres(PostgresServer.ConnectionString, Schema);
        await using var tem = await TemEngine.OpenAsync(options);
        Assert.StartsWith("PostgreSQL", tem.DatabasePath, StringComparison.Ordinal);
        Assert.False(File.Exists("tem.db"));
    }

    [Fact]
    public async Task A_missing_database_says_to_create_it()
    {
        var options = new PostgresStoreOptions { ConnectionString = PostgresServer.ConnectionString + ";Database=tem_no_such_db", Schema = Schema, RetryFor = TimeSpan.Zero };
        var ex = await Assert.ThrowsAsync<TemDatabaseException>(() => OpenAsync(options));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("createdb", ex.Message);
    }

    [Theory]
    [InlineData(null, "tem", "neither ConnectionString nor DataSource")]
    [InlineData("Host=x;NoSuchKey=1", "tem", "connection string is not valid")]
    [InlineData("Host=x", "Bad-Name", "Schema is 'Bad-Name'")]
    public void Bad_options_are_refused_with_what_to_change(string? connectionString, string schema, string expected)
    {
        var options = new TemOptions { Store = new PostgresStoreOptions { ConnectionString = connectionString, Schema = schema } };
        var ex = Assert.Throws<TemConfigurationException>(() => TemEngine.Open(options));
        Assert.Contains(expected, ex.Message);
    }
}
