namespace Tem;

/// <summary>What a handler knows about the task it is running.</summary>
public sealed class TaskContext
{
    private readonly Execution.TokenBudget? _tokens;

    internal TaskContext(long taskId, long batchId, string taskType, int attempt, int maxAttempts, string? idempotencyKey, Execution.TokenBudget? tokens = null)
    {
        _tokens = tokens;
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

    /// <summary>
    /// Waits until the engine's token windows (<see cref="RateLimitOptions.TokensPerMinute"/>) have room for
    /// <paramref name="tokens"/>, and records them: call it with the request's estimated tokens before sending it,
    /// so a tokens-per-minute limit is honoured beside the requests-per-minute one. Returns at once when no token
    /// window is configured.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> exceeds a whole window.</exception>
    public ValueTask ReserveTokensAsync(int tokens, CancellationToken cancellationToken = default)
        => _tokens?.ReserveAsync(tokens, cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>The idempotency key given at enqueue, if any; pass it to providers that deduplicate requests.</summary>
    public string? IdempotencyKey { get; }
}
