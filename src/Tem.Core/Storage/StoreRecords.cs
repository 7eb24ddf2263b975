namespace Tem.Storage;

/// <summary>A task the worker has just claimed.</summary>
internal sealed record ClaimedTask(
    long Id, long BatchId, string Type, string Payload, int Attempt, int MaxAttempts, long Version,
    int Priority, string? IdempotencyKey, int RateLimitDeferrals, string? TraceParent = null);

/// <summary>A task row to insert. <paramref name="Delay"/> is counted from the store's clock at the insert;
/// <paramref name="TraceParent"/> is the W3C traceparent of the span that enqueued it, or null when none was recorded.</summary>
internal readonly record struct NewTask(string Payload, int MaxAttempts, int Priority, TimeSpan Delay, string? IdempotencyKey, string? TraceParent = null);

/// <summary>A worker process as its heartbeat row records it: who, on which machine, which process, and the task types it handles.</summary>
internal sealed record WorkerIdentity(string Owner, string Machine, int ProcessId)
{
    public IReadOnlyList<string> TaskTypes { get; init; } = [];

    /// <summary>Which batches it serves, in words (its <see cref="WorkerScope"/>), or null for every batch.</summary>
    public string? Scope { get; init; }
}

/// <summary>How a run ended, as the worker reports it to the store.</summary>
internal enum OutcomeKind
{
    /// <summary>running → completed, with the result.</summary>
    Completed,

    /// <summary>running → pending after a delay; the attempt counts.</summary>
    Retry,

    /// <summary>running → failed.</summary>
    Failed,

    /// <summary>running → pending after a delay; the provider asked to wait, so the attempt does not count.</summary>
    Deferred,

    /// <summary>running → pending now; the worker stopped before the run ended, so the attempt does not count.</summary>
    Released,
}

/// <summary>
/// One run's outcome, applied only if the task is still running at the version the worker claimed. <paramref name="Detail"/>
/// is the exception with its stack trace, kept in the attempt history.
/// </summary>
internal readonly record struct TaskOutcome(long TaskId, long BatchId, long Version, OutcomeKind Kind, string? Result, string? Error, TimeSpan Delay, string? Detail = null)
{
    /// <summary>For a deferral: the provider was overloaded or refused concurrency, rather than rate-limited.</summary>
    public bool Overloaded { get; init; }
}

/// <summary>The batches a claim may take from, as JSON arrays (null for any): a worker's <see cref="WorkerScope"/>.</summary>
internal readonly record struct ClaimScope(string? BatchIdsJson, string? BatchTypesJson)
{
    /// <summary>
    /// The task types registered as LLM tasks (JSON array), whose claim follows each batch's <see cref="LlmRoute"/>; null
    /// when the worker has none, and then routes play no part.
    /// </summary>
    public string? RoutedTypesJson { get; init; }

    /// <summary>True for the submission worker's claim: the routed tasks the batch API takes, instead of those that run live.</summary>
    public bool ForSubmission { get; init; }

    public static ClaimScope Of(WorkerScope? scope) => new(
        scope?.BatchIds is { } ids ? System.Text.Json.JsonSerializer.Serialize(ids.ToArray(), TemCoreJsonContext.Default.Int64Array) : null,
        scope?.BatchTypes is { } types ? System.Text.Json.JsonSerializer.Serialize(types.ToArray(), TemCoreJsonContext.Default.StringArray) : null);
}

/// <summary>A claim of up to <paramref name="Limit"/> tasks by <paramref name="Owner"/>, as <see cref="ITemStore.ClaimAsync"/> takes it.</summary>
internal sealed record ClaimRequest(string Owner, IReadOnlyList<string> TaskTypes, ClaimScope Scope, int Limit, TimeSpan Lease);
