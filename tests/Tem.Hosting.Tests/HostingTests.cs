using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tem.Hosting;
using Xunit;

namespace Tem.Hosting.Tests;

public sealed record Job(int N);

public sealed record Done(int N, string By);

[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(Done))]
internal sealed partial class HostingJson : JsonSerializerContext;

/// <summary>An instance handler with a dependency, resolved from the container for each task.</summary>
public sealed class JobHandler(JobHandler.Greeting greeting)
{
    public static readonly TaskType<Job, Done> Type = new("job", HostingJson.Default.Job, HostingJson.Default.Done);

    public static TaskCompletionSource Release { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Released by each held job (negative N) as its handler starts waiting for <see cref="Release"/>.</summary>
    public static SemaphoreSlim Holding { get; set; } = new(0);

    public async ValueTask<Done> RunAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.N < 0)
        {
            Holding.Release();
            await Release.Task.WaitAsync(cancellationToken);
        }

        return new Done(job.N, greeting.Name);
    }

    public sealed record Greeting(string Name);
}

public sealed class HostingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-host-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private IHost Build(TimeSpan stopTimeout) => Host.CreateDefaultBuilder()
        .ConfigureServices(services => services
            .AddSingleton(new JobHandler.Greeting("container"))
            .AddTransient<JobHandler>()
            .AddTem(
                o => { o.DatabasePath = Path.Combine(_folder, "tem.db"); o.PollInterval = TimeSpan.FromMilliseconds(50); },
                sp => TemHandlerRegistry.Create(w => w.Register(JobHandler.Type, (job, _, ct) => sp.GetRequiredService<JobHandler>().RunAsync(job, ct))),
                h => h.StopTimeout = stopTimeout))
        .Build();

    [Fact]
    public async Task The_host_runs_the_worker_and_handlers_come_from_the_container()
    {
        using var host = Build(TimeSpan.FromSeconds(5));
        await host.StartAsync();
        var tem = host.Services.GetRequiredService<TemEngine>();
        Assert.True(tem.Worker.IsRunning);
        var batch = await tem.Batches.CreateAsync("h", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, JobHandler.Type, Enumerable.Range(0, 20).Select(i => new Job(i)));
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal(20, stats.Completed);
        var first = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
        Assert.Equal(new Done(0, "container"), await tem.Tasks.GetResultAsync(first.Id, JobHandler.Type));
        await host.StopAsync();
        Assert.False(tem.Worker.IsRunning);
    }

    [Fact]
    public async Task Stopping_the_host_leaves_no_task_running()
    {
        JobHandler.Release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        JobHandler.Holding = new SemaphoreSlim(0);
        using var host = Build(TimeSpan.FromMilliseconds(300));
        await host.StartAsync();
        var tem = host.Services.GetRequiredService<TemEngine>();
        var batch = await tem.Batches.CreateAsync("h", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, JobHandler.Type, Enumerable.Range(1, 5).Select(i => new Job(-i)));
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await JobHandler.Holding.WaitAsync(TimeSpan.FromSeconds(20)), $"held handler {i + 1} of 5 running within 20 s");
        }

        await host.StopAsync();
        Assert.Equal(new BatchStats(5, 0, 0, 0, 0), await tem.Batches.GetStatsAsync(batch.Id));
    }
}
