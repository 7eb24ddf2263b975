namespace Tem;

/// <summary>Where a task is in its life. (Named so as not to clash with <see cref="System.Threading.Tasks.TaskStatus"/>.)</summary>
public enum TemTaskStatus
{
    /// <summary>Waiting to be claimed once its run-after time has passed.</summary>
    Pending,

    /// <summary>Claimed by a worker, which holds a lease on it.</summary>
    Running,

    /// <summary>The handler returned; the result is stored.</summary>
    Completed,

    /// <summary>The last attempt failed, or the handler threw <see cref="NonRetryableException"/>; the error is stored.</summary>
    Failed,

    /// <summary>Its batch was cancelled before it ended.</summary>
    Cancelled,
}
