namespace Tem;

/// <summary>
/// A set of handlers that registers itself with a worker. The source generator emits one per
/// assembly as <c>TemHandlers.Registry</c>; several can be combined with <see cref="TemHandlerRegistry.Combine"/>.
/// </summary>
public interface ITemHandlerRegistry
{
    /// <summary>Registers every handler of this registry with <paramref name="worker"/>.</summary>
    void RegisterWith(TemWorker worker);
}
