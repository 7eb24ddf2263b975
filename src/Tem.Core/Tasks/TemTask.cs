namespace Tem;

/// <summary>One stored task: its payload, state, and outcome.</summary>
public sealed record TemTask
{
    /// <summary>The task id.</summary>
    public required long Id { get; init; }

    /// <summary>The id of its batch.</summary>
    public required long BatchId { get; init; }

    /// <summary>The task type name.</summary>
    public required string Type { get; init; }

    /// <summary>Where it is in its life.</summary>
    public required TemTaskStatus Status { get; init; }

    /// <summary>The payload as stored JSON.</summary>
    public required string PayloadJson { get; init; }

    /// <summary>The result as stored JSON, once completed (null for handlers without a result).</summary>
    public string? ResultJson { get; init; }

    /// <summary>The last error, if an attempt failed.</summary>
    public string? Error { get; init; }

    /// <summary>How many runs have started.</summary>
    public required int Attempt { get; init; }

    /// <summary>How many runs it may have.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>Higher runs first.</summary>
    public required int Priority { get; init; }

    /// <summary>It is not claimed before this time.</summary>
    public required DateTimeOffset RunAfter { get; init; }

    /// <summary>When it was enqueued.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last claimed.</summary>
    public DateTimeOffset? ClaimedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The key that makes enqueueing it again a no-op, if given.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The worker holding it, while running.</summary>
    public string? LeaseOwner { get; init; }
}
