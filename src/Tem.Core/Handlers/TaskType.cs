using System.Text.Json.Serialization.Metadata;

namespace Tem;

/// <summary>
/// Describes a task type whose payload is <typeparamref name="TPayload"/>: its name, the JSON
/// metadata used to store payloads, and its per-type defaults. Handlers that return no result use
/// this type directly; handlers with a result use <see cref="TaskType{TPayload, TResult}"/>.
/// </summary>
/// <typeparam name="TPayload">The payload type, stored as JSON.</typeparam>
public class TaskType<TPayload>
{
    /// <summary>Creates a descriptor.</summary>
    /// <param name="name">The task type name (see <see cref="TaskTypeName"/>).</param>
    /// <param name="payloadTypeInfo">AOT-safe JSON metadata for the payload.</param>
    /// <param name="maxAttempts">Attempts before a task fails; null uses <see cref="TemOptions.DefaultMaxAttempts"/>.</param>
    /// <param name="timeout">Time one run may take; null uses <see cref="TemOptions.DefaultTimeout"/>.</param>
    /// <param name="priority">Default priority of enqueued tasks; higher runs first.</param>
    public TaskType(string name, JsonTypeInfo<TPayload> payloadTypeInfo, int? maxAttempts = null, TimeSpan? timeout = null, int priority = 0)
    {
        TaskTypeName.Validate(name, nameof(name));
        ArgumentNullException.ThrowIfNull(payloadTypeInfo);
        if (maxAttempts is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxAttempts), maxAttempts, "maxAttempts must be at least 1, or null to use the engine's default.");
        }

        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must be positive, or null to use the engine's default.");
        }

        Name = name;
        PayloadTypeInfo = payloadTypeInfo;
        MaxAttempts = maxAttempts;
        Timeout = timeout;
        Priority = priority;
    }

    /// <summary>The task type name stored with every task.</summary>
    public string Name { get; }

    /// <summary>JSON metadata for the payload.</summary>
    public JsonTypeInfo<TPayload> PayloadTypeInfo { get; }

    /// <summary>Attempts before a task of this type fails; null uses the engine's default.</summary>
    public int? MaxAttempts { get; }

    /// <summary>Time one run may take; null uses the engine's default.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Default priority of enqueued tasks.</summary>
    public int Priority { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Describes a task type whose payload is <typeparamref name="TPayload"/> and whose handler returns
/// <typeparamref name="TResult"/>, stored as JSON with the task.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class TaskType<TPayload, TResult> : TaskType<TPayload>
{
    /// <summary>Creates a descriptor.</summary>
    /// <param name="name">The task type name (see <see cref="TaskTypeName"/>).</param>
    /// <param name="payloadTypeInfo">AOT-safe JSON metadata for the payload.</param>
    /// <param name="resultTypeInfo">AOT-safe JSON metadata for the result.</param>
    /// <param name="maxAttempts">Attempts before a task fails; null uses the engine's default.</param>
    /// <param name="timeout">Time one run may take; null uses the engine's default.</param>
    /// <param name="priority">Default priority of enqueued tasks; higher runs first.</param>
    public TaskType(string name, JsonTypeInfo<TPayload> payloadTypeInfo, JsonTypeInfo<TResult> resultTypeInfo, int? maxAttempts = null, TimeSpan? timeout = null, int priority = 0)
        : base(name, payloadTypeInfo, maxAttempts, timeout, priority)
    {
        ArgumentNullException.ThrowIfNull(resultTypeInfo);
        ResultTypeInfo = resultTypeInfo;
    }

    /// <summary>JSON metadata for the result.</summary>
    public JsonTypeInfo<TResult> ResultTypeInfo { get; }
}
