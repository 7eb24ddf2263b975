namespace Tem;

/// <summary>How many of a batch's tasks are in each status.</summary>
public sealed record BatchStats(long Pending, long Running, long Completed, long Failed, long Cancelled)
{
    /// <summary>All tasks of the batch.</summary>
    public long Total => Pending + Running + Completed + Failed + Cancelled;

    /// <summary>Whether no task is pending or running.</summary>
    public bool IsFinished => Pending == 0 && Running == 0;
}
