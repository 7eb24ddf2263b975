using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tem.Hosting;

/// <summary>Registers Tem with a Generic Host.</summary>
public static class TemServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="TemEngine"/> singleton, opened on first use with the options <paramref name="configure"/>
    /// sets, and a hosted service that starts its worker with the host and stops it gracefully when the host stops.
    /// The engine logs through the host's logging unless the options name a logger. The options are registered too, as a
    /// <see cref="TemOptions"/> singleton, for components that show them.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the engine's options; <see cref="TemOptions.DatabasePath"/> is required.</param>
    /// <param name="registry">Builds the handler registry from the container, e.g. <c>sp =&gt; TemHandlers.CreateRegistry(sp)</c>
    /// so instance handlers are resolved from it (no reflection).</param>
    /// <param name="hosting">How the hosted service stops.</param>
    public static IServiceCollection AddTem(this IServiceCollection services, Action<TemOptions> configure,
        Func<IServiceProvider, ITemHandlerRegistry>? registry = null, Action<TemHostingOptions>? hosting = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var hostingOptions = new TemHostingOptions();
        hosting?.Invoke(hostingOptions);
        services.AddSingleton(hostingOptions);
        // The options are a service of their own so that others (the dashboard's rate-limit panel) can read them.
        services.AddSingleton(provider =>
        {
            var options = new TemOptions();
            configure(options);
            options.Logger ??= provider.GetService<ILoggerFactory>()?.CreateLogger("Tem");
            if (provider.GetService<IServiceProviderIsService>()?.IsService(typeof(IBatchEndedHandler)) == true)
            {
                options.OnBatchEnded = BatchEndedDispatch.Chain(options.OnBatchEnded, provider);
            }

            return options;
        });
        services.AddSingleton(provider => TemEngine.Open(provider.GetRequiredService<TemOptions>(), registry?.Invoke(provider)));
        services.AddHostedService<TemHostedService>();
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="THandler"/> as an <see cref="IBatchEndedHandler"/> singleton: the host's engine
    /// calls it at every end of a batch it sees.
    /// </summary>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="services">The service collection.</param>
    public static IServiceCollection AddBatchEndedHandler<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(
        System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IServiceCollection services)
        where THandler : class, IBatchEndedHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IBatchEndedHandler, THandler>();
        return services;
    }
}
