namespace Tem;

/// <summary>Builds handler registries by hand or from several generated ones.</summary>
public static class TemHandlerRegistry
{
    /// <summary>A registry that registers every handler of each of <paramref name="registries"/>, in order.</summary>
    public static ITemHandlerRegistry Combine(params ITemHandlerRegistry[] registries)
    {
        ArgumentNullException.ThrowIfNull(registries);
        return new Combined([.. registries]);
    }

    /// <summary>A registry that runs <paramref name="register"/> against the worker.</summary>
    public static ITemHandlerRegistry Create(Action<TemWorker> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        return new Delegating(register);
    }

    private sealed class Combined(ITemHandlerRegistry[] registries) : ITemHandlerRegistry
    {
        public void RegisterWith(TemWorker worker)
        {
            foreach (var registry in registries)
            {
                registry.RegisterWith(worker);
            }
        }
    }

    private sealed class Delegating(Action<TemWorker> register) : ITemHandlerRegistry
    {
        public void RegisterWith(TemWorker worker) => register(worker);
    }
}
