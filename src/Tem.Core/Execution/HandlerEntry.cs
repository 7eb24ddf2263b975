namespace Tem.Execution;

/// <summary>
/// A registered handler, erased to JSON in and JSON out so the worker needs no generics. <see cref="Invoke"/> reads
/// the payload, then tells the context that the handler starts (its rate permit is logged at that moment, after any
/// cold payload parsing), then calls the handler.
/// </summary>
internal sealed record HandlerEntry(string TaskType, TimeSpan? Timeout, Func<string, TaskContext, CancellationToken, ValueTask<string?>> Invoke);

/// <summary>The stored payload no longer parses as the task type's payload; the task fails without retrying.</summary>
internal sealed class PayloadFormatException(string message, Exception inner) : Exception(message, inner);

/// <summary>The handler's result cannot be written as JSON; the task fails without retrying.</summary>
internal sealed class ResultFormatException(string message, Exception inner) : Exception(message, inner);
