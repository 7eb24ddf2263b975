using System.Text.Json.Serialization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Tem.Aspire.Hosting.Tests;

public sealed record Doc(int N);

public sealed record Done(int N);

[JsonSerializable(typeof(Doc))]
[JsonSerializable(typeof(Done))]
internal sealed partial class AspireTestJson : JsonSerializerContext;

/// <summary>
/// The Tem dashboard resource in a real app host builder, its commands run against a real SQLite file (DCP, which would
/// start the tem process, is not needed for the model and the commands).
/// </summary>
public sealed class TemDashboardResourceTests : IDisposable
{
    private static readonly TaskType<Doc, Done> DocType = new("doc", AspireTestJson.Default.Doc, AspireTestJson.Default.Done, maxAttempts: 1);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-aspire-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_resource_runs_tem_dashboard_on_its_port_with_an_unproxied_http_endpoint()
    {
        var (_, resource) = Build(port: 5099);
        Assert.Equal("tem", resource.Command);
        Assert.Equal(DbPath, resource.Database);
        var args = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(new CommandLineArgsCallbackContext(args, TestContext.Current.CancellationToken));
        }

        Assert.Equal(["dashboard", DbPath, "--port", "5099"], args.Select(a => a.ToString()));
        var endpoint = Assert.Single(resource.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(TemDashboardResource.EndpointName, endpoint.Name);
        Assert.Equal("http", endpoint.UriScheme);
        Assert.Equal(5099, endpoint.Port);
        Assert.Equal(5099, endpoint.TargetPort);
        Assert.False(endpoint.IsProxied);
        Assert.Single(resource.Annotations.OfType<ResourceUrlsCallbackAnnotation>());
    }

    [Fact]
    public async Task Retry_failed_interrupt_and_resume_steer_every_batch_they_apply_to()
    {
        await SeedAsync();
        var (app, resource) = Build();
        Assert.Equal(["tem-retry-failed", "tem-interrupt", "tem-resume"], resource.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name));

        var retry = await RunAsync(app, resource, "tem-retry-failed");
        Assert.True(retry.Success, retry.Message);
        Assert.Equal("Returned 2 failed tasks of 1 batch(es) to pending.", retry.Message);
        Assert.Equal((2, 0), await CountsAsync("nightly"));

        var interrupt = await RunAsync(app, resource, "tem-interrupt");
        Assert.Equal("Interrupted nightly.", interrupt.Message);
        Assert.Equal(BatchStatus.Interrupted, await StatusAsync("nightly"));
        Assert.Equal("No active batch to interrupt.", (await RunAsync(app, resource, "tem-interrupt")).Message);

        var resume = await RunAsync(app, resource, "tem-resume");
        Assert.Equal("Resumed nightly; 0 lost runs returned to pending.", resume.Message);
        Assert.Equal(BatchStatus.Active, await StatusAsync("nightly"));
        Assert.Equal("No failed tasks to retry.", (await RunAsync(app, resource, "tem-retry-failed")).Message);
    }

    [Fact]
    public async Task A_command_on_a_database_not_yet_created_fails_with_what_to_do()
    {
        var (app, resource) = Build();
        var result = await RunAsync(app, resource, "tem-retry-failed");
        Assert.False(result.Success);
        Assert.Equal($"The Tem database '{DbPath}' does not exist yet. Start the app that creates it (TemOptions.DatabasePath), then run the command again.", result.Message);
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public void Bad_arguments_are_refused_with_what_is_wrong()
    {
        var builder = DistributedApplication.CreateBuilder();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddTemDashboard("tem", DbPath, port: 0));
        Assert.StartsWith("The dashboard's port must be between 1 and 65535, such as 5080.", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => builder.AddTemDashboard("tem", " "));
    }

    private (DistributedApplication App, TemDashboardResource Resource) Build(int port = 5080)
    {
        var builder = DistributedApplication.CreateBuilder();
        var resource = builder.AddTemDashboard("tem", DbPath, port).Resource;
        return (builder.Build(), resource);
    }

    private static Task<ExecuteCommandResult> RunAsync(DistributedApplication app, TemDashboardResource resource, string name)
    {
        var command = resource.Annotations.OfType<ResourceCommandAnnotation>().Single(c => c.Name == name);
        return command.ExecuteCommand(new ExecuteCommandContext
        {
            Services = app.Services,
            ResourceName = resource.Name,
            Arguments = new InteractionInputCollection([]),
            Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            CancellationToken = TestContext.Current.CancellationToken,
        });
    }

    /// <summary>A batch "nightly" of 5 documents, of which 2 and 4 fail for good, and a batch "done" that completes.</summary>
    private async Task SeedAsync()
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath, PollInterval = TimeSpan.FromMilliseconds(50) },
            TemHandlerRegistry.Create(w => w.Register(DocType, (doc, _, _) =>
                doc.N % 2 == 0 ? throw new InvalidOperationException($"doc {doc.N} refused") : ValueTask.FromResult(new Done(doc.N)))));
        var nightly = await tem.Batches.CreateAsync("nightly", "rewrite");
        await tem.Tasks.EnqueueManyAsync(nightly.Id, DocType, Enumerable.Range(1, 5).Select(n => new Doc(n)));
        var done = await tem.Batches.CreateAsync("done", "rewrite");
        await tem.Tasks.EnqueueManyAsync(done.Id, DocType, [new Doc(1)]);
        await tem.Worker.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(2, (await tem.WaitForBatchAsync(nightly.Id, timeout.Token)).Failed);
        Assert.Equal(1, (await tem.WaitForBatchAsync(done.Id, timeout.Token)).Completed);
    }

    private async Task<(long Pending, long Failed)> CountsAsync(string code)
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath });
        var stats = await tem.Batches.GetStatsAsync((await tem.Batches.GetByCodeAsync(code))!.Id);
        return (stats.Pending, stats.Failed);
    }

    private async Task<BatchStatus> StatusAsync(string code)
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath });
        return (await tem.Batches.GetByCodeAsync(code))!.Status;
    }
}
