using Npgsql;
using Xunit;

// Engines in other processes and tests sharing one server: one test at a time keeps timing figures honest on two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Tem.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests use: <c>TEM_POSTGRES</c> holds its connection string (.ci/run starts a throw-away
/// cluster and sets it). Without it the tests skip — except under <c>CI=true</c>, where they fail, so a missing
/// database can never pass silently. Each test gets a schema of its own, dropped afterwards.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "TEM_POSTGRES";

    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            var message = $"No PostgreSQL server: set {Variable} to a connection string, e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\" (.ci/run starts one).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(message + " CI=true: the PostgreSQL tests must run.");
            }

            Assert.Skip(message);
            return "";
        }
    }

    /// <summary>A fresh schema name; nothing is created until a store opens it.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..20];

    public static PostgresStoreOptions Options(string schema) => new() { ConnectionString = ConnectionString, Schema = schema };

    public static async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Polls the server's clock (with a deadline) until it has moved past <paramref name="lease"/>, measured from the
    /// first reading: leases run on that clock, which no test can hold.
    /// </summary>
    public static async ValueTask PassServerClockAsync(TimeSpan lease)
    {
        const string Now = "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint;";
        var target = (long)(await ScalarAsync(Now))! + (long)Math.Ceiling(lease.TotalMilliseconds) + 1;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await ScalarAsync(Now))! <= target)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server's clock did not move past the lease within 30 s");
        }
    }

    public static async Task DropSchemaAsync(string schema)
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            NpgsqlConnection.ClearAllPools();
            await ScalarAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE;");
        }
    }
}
