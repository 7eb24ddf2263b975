namespace Tem.PostgreSql.Tests;

/// <summary>What the tests with host processes share: a <see cref="SchemaTest"/> and a folder for the hosts' logs, removed after each test.</summary>
public abstract class HostedSchemaTest(string folderPrefix) : SchemaTest
{
    protected string Folder { get; } = Directory.CreateTempSubdirectory(folderPrefix).FullName;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
