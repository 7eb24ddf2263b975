using Microsoft.Extensions.DependencyInjection;

namespace Tem.Hosting;

/// <summary>Calls the container's <see cref="IBatchEndedHandler"/>s after the options' own callback.</summary>
internal static class BatchEndedDispatch
{
    public static Func<BatchEnded, CancellationToken, ValueTask> Chain(Func<BatchEnded, CancellationToken, ValueTask>? own, IServiceProvider provider)
        => async (ended, cancellationToken) =>
        {
            List<Exception>? errors = null;
            if (own is not null)
            {
                await Guard(() => own(ended, cancellationToken)).ConfigureAwait(false);
            }

            // Resolved at each end, not with the options: a handler that needs the engine would otherwise be a cycle.
            foreach (var handler in provider.GetServices<IBatchEndedHandler>())
            {
                await Guard(() => handler.OnBatchEndedAsync(ended, cancellationToken)).ConfigureAwait(false);
            }

            if (errors is not null)
            {
                throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
            }

            async Task Guard(Func<ValueTask> call)
            {
                try
                {
                    await call().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    (errors ??= []).Add(ex); // the engine logs them once all handlers had their turn
                }
            }
        };
}
