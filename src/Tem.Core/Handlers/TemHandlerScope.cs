using Microsoft.Extensions.DependencyInjection;

namespace Tem;

/// <summary>
/// Runs one task's handler on an instance resolved in a dependency-injection scope of its own, disposed when the handler
/// ends. The generated <c>TemHandlers.CreateRegistry(IServiceProvider)</c> calls it, so scoped handlers (and their scoped
/// dependencies, a DbContext say) work under scope validation, and transient <see cref="IDisposable"/> handlers are
/// disposed after each task instead of being held by the root provider for its lifetime.
/// </summary>
public static class TemHandlerScope
{
    /// <summary>Resolves <typeparamref name="THandler"/> in a new scope of <paramref name="services"/>, runs <paramref name="run"/> on it, then disposes the scope.</summary>
    /// <typeparam name="THandler">The class whose [TemHandler] method runs.</typeparam>
    /// <param name="services">The application's (root) service provider.</param>
    /// <param name="run">Calls the handler method on the resolved instance.</param>
    /// <returns>The handler's task.</returns>
    public static async ValueTask RunAsync<THandler>(IServiceProvider services, Func<THandler, ValueTask> run)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(run);
        var scope = CreateScope(services);
        try
        {
            await run(Resolve<THandler>(scope?.ServiceProvider ?? services)).ConfigureAwait(false);
        }
        finally
        {
            await DisposeAsync(scope).ConfigureAwait(false);
        }
    }

    /// <summary>Resolves <typeparamref name="THandler"/> in a new scope of <paramref name="services"/>, runs <paramref name="run"/> on it, then disposes the scope.</summary>
    /// <typeparam name="THandler">The class whose [TemHandler] method runs.</typeparam>
    /// <typeparam name="TResult">The handler's result.</typeparam>
    /// <param name="services">The application's (root) service provider.</param>
    /// <param name="run">Calls the handler method on the resolved instance.</param>
    /// <returns>The handler's result.</returns>
    public static async ValueTask<TResult> RunAsync<THandler, TResult>(IServiceProvider services, Func<THandler, ValueTask<TResult>> run)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(run);
        var scope = CreateScope(services);
        try
        {
            return await run(Resolve<THandler>(scope?.ServiceProvider ?? services)).ConfigureAwait(false);
        }
        finally
        {
            await DisposeAsync(scope).ConfigureAwait(false);
        }
    }

    // A container without scopes (not Microsoft's, or a hand-written provider) resolves from the provider itself.
    private static IServiceScope? CreateScope(IServiceProvider services)
        => services.GetService(typeof(IServiceScopeFactory)) is IServiceScopeFactory factory ? factory.CreateScope() : null;

    private static ValueTask DisposeAsync(IServiceScope? scope)
    {
        switch (scope)
        {
            case null:
                return ValueTask.CompletedTask;
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            default:
                scope.Dispose();
                return ValueTask.CompletedTask;
        }
    }

    private static THandler Resolve<THandler>(IServiceProvider services)
        => services.GetService(typeof(THandler)) is THandler handler
            ? handler
            : throw new InvalidOperationException(
               $"The service provider has no {typeof(THandler).FullName} to run its [TemHandler] methods; register it " +
               $"(services.AddScoped<{typeof(THandler).Name}>() or AddTransient), or pass a factory to TemHandlers.CreateRegistry.");
}
