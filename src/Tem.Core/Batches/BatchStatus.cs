namespace Tem;

/// <summary>Where a batch is in its life.</summary>
public enum BatchStatus
{
    /// <summary>Its pending tasks are claimed and run.</summary>
    Active,

    /// <summary>An interruption criterion tripped or <c>InterruptAsync</c> was called; pending tasks wait until <c>ResumeAsync</c>.</summary>
    Interrupted,

    /// <summary>Cancelled; its unfinished tasks were cancelled.</summary>
    Cancelled,

    /// <summary>Every task ended (completed or failed). Enqueueing or retrying makes it active again.</summary>
    Completed,
}
