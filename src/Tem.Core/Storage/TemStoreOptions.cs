namespace Tem;

/// <summary>
/// Which database an engine keeps its batches and tasks in. Set <see cref="TemOptions.Store"/> to one:
/// <see cref="SqliteStoreOptions"/> here, a PostgreSQL store from its own package. Only Tem's own assemblies derive
/// from it: a store must pass Tem's conformance suite.
/// </summary>
public abstract class TemStoreOptions
{
    private protected TemStoreOptions()
    {
    }

    /// <summary>Whether the store is opened for reading only: the engine then writes nothing at open.</summary>
    internal virtual bool IsReadOnly => false;

    /// <summary>Checks the options; throws <see cref="TemConfigurationException"/> with what to change.</summary>
    internal abstract void Validate();

    /// <summary>Opens (creating and migrating as needed) the store.</summary>
    internal abstract ValueTask<Storage.ITemStore> OpenAsync(TimeProvider clock, CancellationToken cancellationToken);
}
