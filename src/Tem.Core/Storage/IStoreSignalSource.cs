namespace Tem.Storage;

/// <summary>
/// A store that hears about other processes' changes (PostgreSQL's LISTEN/NOTIFY) and passes them on to the engine
/// it serves: work enqueued elsewhere wakes this dispatcher, a batch cancelled elsewhere stops this engine's handlers.
/// A store without it (SQLite) leaves other processes' changes to polling.
/// </summary>
internal interface IStoreSignalSource
{
    /// <summary>Starts passing notifications to <paramref name="signals"/>; called once, when the engine is built. The store's dispose stops it.</summary>
    void Attach(Execution.EngineSignals signals);
}
