namespace Tem;

/// <summary>Pending tasks of one type that no live worker handles: they wait until a worker with a handler for <paramref name="Type"/> starts.</summary>
/// <param name="Type">The task type no live worker has a handler for.</param>
/// <param name="Count">How many of the batch's pending tasks have it.</param>
public sealed record UnhandledTasks(string Type, long Count);

/// <summary>A wait gave up: some of the batch's pending tasks have a type no live worker handles.</summary>
public sealed class UnhandledTasksException(string message, IReadOnlyList<UnhandledTasks> unhandled) : TemException(message)
{
    /// <summary>The types and how many tasks of each wait.</summary>
    public IReadOnlyList<UnhandledTasks> Unhandled { get; } = unhandled;
}
