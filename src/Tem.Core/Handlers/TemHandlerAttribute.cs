namespace Tem;

/// <summary>
/// Marks a method as the handler of a task type. The Tem source generator turns every marked
/// method into a typed <see cref="TaskType{TPayload, TResult}"/> descriptor in <c>TemTasks</c>
/// and a registration in <c>TemHandlers.Registry</c>.
/// </summary>
/// <remarks>
/// The method's first parameter is the payload; it may then take a <see cref="TaskContext"/> and a
/// <see cref="CancellationToken"/>, in any order. It returns <see cref="Task"/>, <see cref="Task{TResult}"/>,
/// <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TemHandlerAttribute : Attribute
{
    /// <summary>Creates the attribute for the task type <paramref name="taskType"/>.</summary>
    /// <param name="taskType">The task type name, such as <c>"rewrite"</c>; see <see cref="TaskTypeName"/> for the rules.</param>
    public TemHandlerAttribute(string taskType) => TaskType = taskType;

    /// <summary>The task type name this method handles.</summary>
    public string TaskType { get; }

    /// <summary>How many times a task of this type may run before it fails; 0 means the engine's default.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>How long one run may take before its cancellation token fires; 0 means the engine's default.</summary>
    public int TimeoutSeconds { get; set; }

    /// <summary>The default priority of tasks of this type; higher runs first.</summary>
    public int Priority { get; set; }
}
