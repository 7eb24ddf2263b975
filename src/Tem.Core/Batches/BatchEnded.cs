namespace Tem;

/// <summary>How a batch ended, for <see cref="TemOptions.OnBatchEnded"/>.</summary>
public enum BatchEndKind
{
    /// <summary>Every task completed.</summary>
    Completed,

    /// <summary>Nothing is left to run, but some tasks failed (retry them with <see cref="BatchService.RetryFailedAsync"/>).</summary>
    CompletedWithFailures,

    /// <summary>Interrupted by a criterion, a provider's quota or a user; its pending tasks wait for <see cref="BatchService.ResumeAsync"/>.</summary>
    Interrupted,

    /// <summary>Cancelled: its unfinished tasks were cancelled.</summary>
    Cancelled,
}

/// <summary>One end of a batch, as <see cref="TemOptions.OnBatchEnded"/> reports it.</summary>
/// <param name="Batch">The batch as read when its end was seen.</param>
/// <param name="Kind">How it ended.</param>
/// <param name="Stats">Its tasks per status when its end was seen.</param>
/// <param name="Reason">Why it was interrupted (the latest interruption's reason), or null for the other kinds.</param>
public sealed record BatchEnded(Batch Batch, BatchEndKind Kind, BatchStats Stats, string? Reason);
