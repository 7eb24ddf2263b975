using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>Everything the engine logs, source-generated. Nothing is logged per task above Debug.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.OutcomeRejected, LogLevel.Warning, "Dropped the outcome {Kind} of task {TaskId}: it was no longer running at version {Version} (recovered, resumed or cancelled elsewhere).")]
    public static partial void OutcomeRejected(ILogger logger, long taskId, string kind, long version);

    [LoggerMessage(LogEvents.OutcomeWriteFailed, LogLevel.Error, "Could not write {Count} task outcomes (try {Attempt}); they are kept, their slots stay taken, and the write is retried in {Delay}.")]
    public static partial void OutcomeWriteFailed(ILogger logger, int count, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(LogEvents.ClaimFailed, LogLevel.Error, "Could not claim tasks; retrying after the poll interval.")]
    public static partial void ClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.LeasesRecovered, LogLevel.Information, "Recovered {Count} tasks whose lease expired.")]
    public static partial void LeasesRecovered(ILogger logger, int count);

    [LoggerMessage(LogEvents.LeaseUpkeepFailed, LogLevel.Error, "Lease upkeep failed; retrying on the next tick.")]
    public static partial void LeaseUpkeepFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.StopTimedOut, LogLevel.Warning, "Stopping: {Count} handlers did not finish within {Timeout}; they were cancelled and their tasks returned to pending.")]
    public static partial void StopTimedOut(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(LogEvents.TaskEnded, LogLevel.Debug, "Task {TaskId} attempt {Attempt} ended: {Kind}.")]
    public static partial void TaskEnded(ILogger logger, long taskId, int attempt, string kind);

    [LoggerMessage(LogEvents.OutcomesWrittenAfterRetry, LogLevel.Warning, "Wrote {Count} task outcomes after {Attempt} tries.")]
    public static partial void OutcomesWrittenAfterRetry(ILogger logger, int count, int attempt);

    [LoggerMessage(LogEvents.OutcomeWriteAbandoned, LogLevel.Error, "Stopping: gave up writing {Count} task outcomes; those tasks stay running until their leases expire, then run again.")]
    public static partial void OutcomeWriteAbandoned(ILogger logger, int count, Exception exception);

    [LoggerMessage(LogEvents.HandlersAbandoned, LogLevel.Error, "Stopping: {Count} handlers ignored cancellation and still block; their tasks stay running until their leases expire, then run again.")]
    public static partial void HandlersAbandoned(ILogger logger, int count);

    [LoggerMessage(LogEvents.DatabaseLost, LogLevel.Critical, "The database is gone; the worker claims nothing more.")]
    public static partial void DatabaseLost(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.DisposeFailed, LogLevel.Error, "Closing the engine failed; what could be written was written.")]
    public static partial void DisposeFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.TasksUnhandled, LogLevel.Warning, "Batch '{BatchCode}' waits for tasks that no live worker handles: {What}. Start a worker with a handler for those types, or they never run.")]
    public static partial void TasksUnhandled(ILogger logger, string batchCode, string what);

    [LoggerMessage(LogEvents.TaskFailed, LogLevel.Warning, "Task {TaskId} attempt {Attempt} failed for good.")]
    public static partial void TaskFailed(ILogger logger, long taskId, int attempt, Exception exception);

    [LoggerMessage(LogEvents.TaskRetrying, LogLevel.Information, "Task {TaskId} attempt {Attempt} failed; it will run again.")]
    public static partial void TaskRetrying(ILogger logger, long taskId, int attempt, Exception exception);
}
