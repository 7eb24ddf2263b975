namespace Tem;

/// <summary>Per-task choices at enqueue time.</summary>
public sealed record EnqueueOptions
{
    /// <summary>A key unique within the batch: enqueueing a task with a key the batch already has is a no-op, so a script can be re-run safely.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Priority; null uses the task type's. Higher runs first.</summary>
    public int? Priority { get; init; }

    /// <summary>Do not run before this delay has passed.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Attempts before the task fails; null uses the task type's or the engine's default.</summary>
    public int? MaxAttempts { get; init; }
}
