using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Tem.Hosting.Tests;

/// <summary>
/// The generated <c>TemHandlers.CreateRegistry(IServiceProvider)</c> in a real Generic Host with scope validation on
/// (the Development default): a DI scope per task, disposed when the task's handler ends.
/// </summary>
public sealed class ScopeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-scope-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private IHost Build()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        builder.Services.AddScoped<UnitOfWork>();
        builder.Services.AddScoped<ScopedHandler>();
        builder.Services.AddTransient<DisposableHandler>();
        builder.Services.AddTem(
            o => { o.DatabasePath = Path.Combine(_folder, "tem.db"); o.PollInterval = TimeSpan.FromMilliseconds(50); },
            sp => TemHandlers.CreateRegistry(sp));
        return builder.Build();
    }

    private static async Task<(TemEngine Tem, long BatchId)> RunAsync<TPayload>(IHost host, TaskType<TPayload> type, int count, Func<int, TPayload> payload)
    {
        var tem = host.Services.GetRequiredService<TemEngine>();
        var batch = await tem.Batches.CreateAsync(type.Name, "scopes");
        await tem.Tasks.EnqueueManyAsync(batch.Id, type, Enumerable.Range(0, count).Select(payload));
        await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (tem, batch.Id);
    }

    [Fact]
    public async Task A_scoped_handler_runs_under_scope_validation_with_a_scope_per_task()
    {
        using var host = Build();
        await host.StartAsync();
        var (tem, batchId) = await RunAsync(host, TemTasks.Scoped, 10, i => new Ticket(i));

        Assert.Equal(new BatchStats(0, 0, 10, 0, 0), await tem.Batches.GetStatsAsync(batchId));
        var scopes = new HashSet<int>();
        foreach (var task in await tem.Tasks.ListAsync(new TaskQuery { BatchId = batchId }))
        {
            scopes.Add((await tem.Tasks.GetResultAsync(task.Id, TemTasks.Scoped)).ScopeId);
        }

        Assert.Equal(10, scopes.Count); // each task its own UnitOfWork
        await host.StopAsync();
    }

    [Fact]
    public async Task Transient_disposable_handlers_are_disposed_after_each_task()
    {
        using var host = Build();
        await host.StartAsync();
        var createdBefore = Volatile.Read(ref DisposableHandler.Created);
        var disposedBefore = Volatile.Read(ref DisposableHandler.Disposed);

        var (tem, batchId) = await RunAsync(host, TemTasks.Disposable, 12, i => new Ticket(i));

        Assert.Equal(12, (await tem.Batches.GetStatsAsync(batchId)).Completed);
        Assert.Equal(12, Volatile.Read(ref DisposableHandler.Created) - createdBefore);
        Assert.Equal(12, Volatile.Read(ref DisposableHandler.Disposed) - disposedBefore); // before the host is disposed
        await host.StopAsync();
    }

    [Fact]
    public async Task A_handler_class_missing_from_the_container_fails_its_task_with_what_to_do()
    {
        using var host = Build();
        await host.StartAsync();
        var (tem, batchId) = await RunAsync(host, TemTasks.Unregistered, 1, i => new Ticket(i));

        var task = Assert.Single(await tem.Tasks.ListAsync(new TaskQuery { BatchId = batchId }));
        Assert.Equal(TemTaskStatus.Failed, task.Status);
        Assert.Contains(
            "The service provider has no Tem.Hosting.Tests.UnregisteredHandler to run its [TemHandler] methods; register it (services.AddScoped<UnregisteredHandler>() or AddTransient), or pass a factory to TemHandlers.CreateRegistry.",
            task.Error, StringComparison.Ordinal);
        await host.StopAsync();
    }
}
