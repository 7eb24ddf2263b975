namespace Tem;

/// <summary>Claims tasks from the database and runs them through registered handlers.</summary>
public sealed partial class TemWorker
{
    /// <summary>Registers the handler of a task type that returns a result.</summary>
    public void Register<TPayload, TResult>(TaskType<TPayload, TResult> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask<TResult>> handler)
        => throw new NotImplementedException();

    /// <summary>Registers the handler of a task type that returns no result.</summary>
    public void Register<TPayload>(TaskType<TPayload> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask> handler)
        => throw new NotImplementedException();

    /// <summary>Registers every handler of <paramref name="registry"/>.</summary>
    public void Register(ITemHandlerRegistry registry) => registry.RegisterWith(this);
}
