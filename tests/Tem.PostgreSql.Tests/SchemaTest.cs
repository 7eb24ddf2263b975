using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// A test on a schema of its own, dropped afterwards. Without a server the test skips (or fails under CI=true)
/// before it starts.
/// </summary>
public abstract class SchemaTest : IAsyncLifetime
{
    protected string Schema { get; } = PostgresServer.NewSchema();

    public virtual ValueTask InitializeAsync()
    {
        _ = PostgresServer.ConnectionString;
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        await PostgresServer.DropSchemaAsync(Schema);
        GC.SuppressFinalize(this);
    }
}
