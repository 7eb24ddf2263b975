namespace Tem;

/// <summary>The entry point: one SQLite file, its batches and tasks, and the worker that runs them.</summary>
public sealed partial class TemEngine
{
    /// <summary>Opens (or creates) the database in <paramref name="options"/> and registers <paramref name="registry"/>'s handlers.</summary>
    public static TemEngine Open(TemOptions options, ITemHandlerRegistry? registry = null) => throw new NotImplementedException();
}
