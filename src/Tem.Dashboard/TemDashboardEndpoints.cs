using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tem.Dashboard;

/// <summary>Mounts the Tem dashboard in an ASP.NET Core app.</summary>
public static class TemDashboardEndpoints
{
    /// <summary>
    /// Serves the dashboard under <paramref name="prefix"/>: batches with their progress per task type, throughput and
    /// refusals, running tasks, failures grouped by error, interruptions and the rate limits in force, updated live by
    /// server-sent events; and the write actions retry failed, resume, interrupt and cancel a batch, each confirmed in
    /// the page and checked against a per-process token. Write actions are served to loopback clients only unless
    /// <see cref="TemDashboardOptions.AuthorizeWrite"/> allows a request. Every handler is a plain request delegate, so
    /// the app stays trimmable and NativeAOT-clean.
    /// </summary>
    /// <param name="endpoints">The app (<c>WebApplication</c>) or another route builder.</param>
    /// <param name="prefix">The path to serve it at, such as "/tem".</param>
    /// <param name="configure">Sets the options; by default the engine and its options come from the app's services.</param>
    /// <returns>The route group, to add authorisation or other conventions to every dashboard endpoint.</returns>
    public static RouteGroupBuilder MapTemDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/tem", Action<TemDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var basePath = prefix.TrimEnd('/');
        if (basePath.Length > 0 && !basePath.StartsWith('/'))
        {
            throw new ArgumentException($"The dashboard's prefix must be a path starting with '/', such as \"/tem\"; got \"{prefix}\".", nameof(prefix));
        }

        var options = new TemDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        var services = endpoints.ServiceProvider;
        if (options.Engine is null && services.GetService<IServiceProviderIsService>()?.IsService(typeof(TemEngine)) == false)
        {
            throw new TemConfigurationException(DashboardContext.NoEngine);
        }

        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var dashboard = new DashboardContext(options, services, basePath, stopping);
        var routes = new DashboardRoutes(dashboard);

        var group = endpoints.MapGroup(basePath.Length == 0 ? "/" : basePath);
        group.MapGet("/", routes.OverviewAsync);   // routing matches "/tem" and "/tem/" alike

        group.MapGet("/batches/{id:long}", routes.BatchPageAsync);
        group.MapGet("/tasks/{id:long}", routes.TaskPageAsync);
        group.MapGet("/assets/{name}", routes.AssetAsync);
        group.MapGet("/api/overview", routes.OverviewJsonAsync);
        group.MapGet("/api/batches/{id:long}", routes.BatchJsonAsync);
        group.MapGet("/events", routes.OverviewEventsAsync);
        group.MapGet("/events/batches/{id:long}", routes.BatchEventsAsync);
        group.MapPost("/batches/{id:long}/{action}", routes.SteerBatchAsync);
        group.MapPost("/tasks/{id:long}/{action}", routes.SteerTaskAsync);
        group.Map("/{**rest}", routes.NotFoundAsync);
        return group;
    }
}
