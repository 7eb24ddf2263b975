namespace Tem.Storage;

/// <summary>
/// A store that passes changes on to the engine it serves: the change sets of its own rules' transactions
/// (<see cref="StoreChanges"/>), and, where it hears of them (PostgreSQL's LISTEN/NOTIFY), other processes' changes —
/// work enqueued elsewhere wakes this dispatcher, a batch cancelled elsewhere stops this engine's handlers. A store
/// that does not hear of other processes (SQLite) leaves their changes to polling.
/// </summary>
internal interface IStoreSignalSource
{
    /// <summary>Starts passing changes to <paramref name="signals"/>; called once, when the engine is built. The store's dispose stops it.</summary>
    void Attach(Execution.EngineSignals signals);
}
