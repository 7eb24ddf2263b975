using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// What the tests with host processes share: a schema of their own and a folder for the hosts' logs, both removed
/// after each test. Without a server the test skips (or fails under CI=true).
/// </summary>
public abstract class HostedSchemaTest(string folderPrefix) : IAsyncLifetime
{
    protected string Schema { get; } = PostgresServer.NewSchema();

    protected string Folder { get; } = Directory.CreateTempSubdirectory(folderPrefix).FullName;

    public ValueTask InitializeAsync()
    {
        _ = PostgresServer.ConnectionString;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await PostgresServer.DropSchemaAsync(Schema);
        Directory.Delete(Folder, recursive: true);
    }
}
