using Microsoft.Extensions.Hosting;

namespace Tem.Hosting;

/// <summary>Runs the engine's worker for the lifetime of the host.</summary>
internal sealed class TemHostedService(TemEngine engine, TemHostingOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
        => options.StartWorker ? engine.Worker.StartAsync(cancellationToken) : Task.CompletedTask;

    // Graceful: running handlers get StopTimeout, then are cancelled and their tasks returned to pending.
    public Task StopAsync(CancellationToken cancellationToken) => engine.Worker.StopAsync(options.StopTimeout);
}
