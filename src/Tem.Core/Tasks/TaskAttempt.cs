namespace Tem;

/// <summary>How one earlier attempt of a task ended.</summary>
public enum TaskAttemptOutcome
{
    /// <summary>It threw and the task was scheduled to run again.</summary>
    Retried,

    /// <summary>It threw and the task failed for good.</summary>
    Failed,

    /// <summary>The provider refused with a rate limit; the task waited without using the attempt.</summary>
    Deferred,

    /// <summary>The provider was overloaded or refused concurrent requests; the task waited without using the attempt.</summary>
    Overloaded,

    /// <summary>Its process stopped (crashed, was killed or froze) before it reported an outcome.</summary>
    Lost,

    /// <summary>It completed; the task was later run again by <c>Tasks.RerunAsync</c>, and this is the result it had.</summary>
    Completed,
}

/// <summary>One earlier attempt of a task, kept when it did not end the task's life: its error with the stack trace, or a replaced result.</summary>
/// <param name="Attempt">Which run it was, from 1.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Error">The error as <c>Type: message</c>, for failures and refusals.</param>
/// <param name="Detail">The exception with its stack trace and inner exceptions (at most 16 KB), when there was one.</param>
/// <param name="ResultJson">The result it produced, for a completed attempt replaced by a re-run.</param>
/// <param name="ClaimedAt">When the attempt was claimed.</param>
/// <param name="EndedAt">When it ended.</param>
public sealed record TaskAttempt(int Attempt, TaskAttemptOutcome Outcome, string? Error, string? Detail, string? ResultJson,
    DateTimeOffset? ClaimedAt, DateTimeOffset EndedAt);
