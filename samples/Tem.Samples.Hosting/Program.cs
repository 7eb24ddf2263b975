// Tem in a Generic Host: AddTem registers the engine and runs its worker as a hosted service, the generated registry
// resolves instance handlers from the container, and SampleBatch enqueues, waits, reports and stops the host.
// Run it twice with the same database: the second run enqueues nothing and reports the same batch.
//
//   dotnet run -c Release --project samples/Tem.Samples.Hosting -- [--db tem-hosting.db] [--code hosting-sample]

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tem;
using Tem.Hosting;
using Tem.Samples.Hosting;

var builder = Host.CreateApplicationBuilder(args);
var databasePath = builder.Configuration["db"] ?? "tem-hosting.db";

builder.Services.AddSingleton<IModelClient, SimulatedModelClient>();
// Scoped or transient: the generated registry resolves it in a DI scope of its own per task, disposed when the task's
// handler ends (scoped dependencies work, disposable handlers are disposed).
builder.Services.AddTransient<SummarizeHandler>();
builder.Services.AddTem(
    options =>
    {
        options.DatabasePath = databasePath;
        options.Concurrency = 4;
        options.RateLimit = new RateLimitOptions { PerSecond = 50 };
        // Short backoff so the simulated transient errors are retried within the sample's run.
        options.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
    },
    services => TemHandlers.CreateRegistry(services));
builder.Services.AddHostedService<SampleBatch>();

// RunAsync returns once SampleBatch calls StopApplication and the worker has stopped; it disposes the host, and with
// it the engine. SampleBatch sets the exit code.
await builder.Build().RunAsync();
return Environment.ExitCode;
