namespace Tem;

/// <summary>One entry of a batch's history: what was done to it (resumed, failures retried, cancelled, interrupted, a task steered), and when.</summary>
/// <param name="Kind">A short name: "resumed", "retry-failed", "cancelled", "interrupted", "task-retried", "task-cancelled", "task-rerun".</param>
/// <param name="Message">What happened, in words.</param>
/// <param name="At">When.</param>
public sealed record BatchEvent(string Kind, string Message, DateTimeOffset At);
