using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Tem.Aspire.Hosting;

/// <summary>Adds the Tem dashboard to an Aspire app host.</summary>
public static class TemDashboardBuilderExtensions
{
    /// <summary>
    /// Adds the Tem dashboard of <paramref name="database"/> as a resource: <c>tem dashboard DATABASE --port PORT</c>
    /// runs (install the tool with <c>dotnet tool install --global Tem.Cli</c>), the app host links to its page, and
    /// the resource has the commands Retry failed, Interrupt and Resume, which act on every batch where they apply.
    /// </summary>
    /// <param name="builder">The app host's builder.</param>
    /// <param name="name">The resource's name.</param>
    /// <param name="database">A SQLite file path (relative to the app host's folder) or a PostgreSQL connection string.</param>
    /// <param name="port">The port the dashboard listens on, on 127.0.0.1.</param>
    /// <param name="command">The tem tool: <c>tem</c> on the PATH, or a full path to it.</param>
    public static IResourceBuilder<TemDashboardResource> AddTemDashboard(this IDistributedApplicationBuilder builder, string name, string database,
        int port = 5080, string command = "tem")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The dashboard's port must be between 1 and 65535, such as 5080.");
        }

        var resource = new TemDashboardResource(name, database, command, builder.AppHostDirectory);
        return builder.AddResource(resource)
            .WithArgs("dashboard", database, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHttpEndpoint(port: port, targetPort: port, name: TemDashboardResource.EndpointName, isProxied: false)
            .WithUrlForEndpoint(TemDashboardResource.EndpointName, url => url.DisplayText = "Tem dashboard")
            .WithBatchCommand("tem-retry-failed", "Retry failed", "Return every failed task of every batch to pending with fresh attempts?",
                "ArrowClockwise", BatchCommands.RetryFailedAsync)
            .WithBatchCommand("tem-interrupt", "Interrupt", "Interrupt every active batch? Pending tasks wait until resumed; running ones finish.",
                "Pause", BatchCommands.InterruptAsync)
            .WithBatchCommand("tem-resume", "Resume", "Resume every interrupted batch?", "Play", BatchCommands.ResumeAsync);
    }

    private static IResourceBuilder<TemDashboardResource> WithBatchCommand(this IResourceBuilder<TemDashboardResource> builder, string name,
        string displayName, string confirmation, string icon, Func<TemEngine, CancellationToken, Task<string>> run)
    {
        var resource = builder.Resource;
        return builder.WithCommand(name, displayName, async context =>
        {
            try
            {
                await using var tem = TemDatabase.Open(resource.Database, resource.WorkingDirectory);
                return CommandResults.Success(await run(tem, context.CancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is TemDatabaseNotFoundException or TemDatabaseException)
            {
                // The app host shows the message; a command that throws would show a stack trace instead.
                return CommandResults.Failure(ex.Message);
            }
        }, new CommandOptions { ConfirmationMessage = confirmation, IconName = icon, IconVariant = IconVariant.Regular });
    }
}
