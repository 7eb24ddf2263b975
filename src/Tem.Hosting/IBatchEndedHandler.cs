namespace Tem.Hosting;

/// <summary>
/// Told of every end of a batch — completed, completed with failures, interrupted, cancelled — that the host's engine
/// sees (<see cref="TemOptions.OnBatchEnded"/>), to notify someone or create the next batch. Register it with
/// <see cref="TemServiceCollectionExtensions.AddBatchEndedHandler{THandler}"/>; handlers are resolved from the
/// container at each end (so they may depend on <see cref="TemEngine"/>) and called one after another.
/// </summary>
public interface IBatchEndedHandler
{
    /// <summary>Handles one end. An exception is logged; the other handlers and later ends are still called.</summary>
    /// <param name="ended">The batch, how it ended and its stats.</param>
    /// <param name="cancellationToken">Cancelled when the engine is disposed.</param>
    ValueTask OnBatchEndedAsync(BatchEnded ended, CancellationToken cancellationToken);
}
