using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Tem.Hosting.Tests;

/// <summary>A batch-ended handler from the container that chains the next batch through the engine it depends on.</summary>
public sealed class ChainingHandler(TemEngine engine) : IBatchEndedHandler
{
    public static ConcurrentQueue<BatchEnded> Seen { get; } = new();

    /// <summary>Released once per batch end seen: the test awaits it instead of polling <see cref="Seen"/>.</summary>
    public static SemaphoreSlim Arrived { get; } = new(0);

    public async ValueTask OnBatchEndedAsync(BatchEnded ended, CancellationToken cancellationToken)
    {
        Seen.Enqueue(ended);
        Arrived.Release();
        if (ended.Batch.Code == "first" && ended.Kind == BatchEndKind.Completed)
        {
            var next = await engine.Batches.GetOrCreateAsync("first-next", "chained", cancellationToken: cancellationToken);
            await engine.Tasks.EnqueueAsync(next.Id, JobHandler.Type, new Job(99), cancellationToken: cancellationToken);
        }
    }
}

public sealed class BatchEndedHandlerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-host-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_handler_from_the_container_hears_each_end_once_and_can_chain_the_next_batch()
    {
        var fromOptions = new ConcurrentQueue<string>();
        using var host = Host.CreateDefaultBuilder()
            .ConfigureServices(services => services
                .AddSingleton(new JobHandler.Greeting("container"))
                .AddTransient<JobHandler>()
                .AddTem(
                    o =>
                    {
                        o.DatabasePath = Path.Combine(_folder, "tem.db");
                        o.PollInterval = TimeSpan.FromMilliseconds(50);
                        o.OnBatchEnded = (e, _) => { fromOptions.Enqueue(e.Batch.Code); return ValueTask.CompletedTask; };
                    },
                    sp => TemHandlerRegistry.Create(w => w.Register(JobHandler.Type, (job, _, ct) => sp.GetRequiredService<JobHandler>().RunAsync(job, ct))))
                .AddBatchEndedHandler<ChainingHandler>())
            .Build();
        await host.StartAsync();
        var tem = host.Services.GetRequiredService<TemEngine>();
        var first = await tem.Batches.CreateAsync("first", "t");
        await tem.Tasks.EnqueueManyAsync(first.Id, JobHandler.Type, Enumerable.Range(0, 5).Select(i => new Job(i)));

        for (var i = 0; i < 2; i++)
        {
            Assert.True(await ChainingHandler.Arrived.WaitAsync(TimeSpan.FromSeconds(30)), $"batch end {i + 1} of 2 within 30 s");
        }

        await host.StopAsync();
        await tem.DisposeAsync();
        Assert.Equal(["first", "first-next"], ChainingHandler.Seen.Select(e => e.Batch.Code));
        Assert.Equal(5, ChainingHandler.Seen.First().Stats.Completed);
        Assert.Equal(BatchEndKind.Completed, ChainingHandler.Seen.Last().Kind);
        Assert.Equal(["first", "first-next"], fromOptions); // the options' own callback still runs, first
    }
}
