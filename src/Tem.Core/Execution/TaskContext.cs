namespace Tem;

/// <summary>What a handler knows about the task it is running.</summary>
public sealed class TaskContext
{
    internal TaskContext(long taskId, long batchId, string taskType, int attempt, int maxAttempts, string? idempotencyKey)
    {
        TaskId = taskId;
        BatchId = batchId;
        TaskType = taskType;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>The task's id.</summary>
    public long TaskId { get; }

    /// <summary>The id of the task's batch.</summary>
    public long BatchId { get; }

    /// <summary>The task type name.</summary>
    public string TaskType { get; }

    /// <summary>Which run this is, starting at 1.</summary>
    public int Attempt { get; }

    /// <summary>How many runs the task may have before it fails.</summary>
    public int MaxAttempts { get; }

    /// <summary>The idempotency key given at enqueue, if any; pass it to providers that deduplicate requests.</summary>
    public string? IdempotencyKey { get; }
}
