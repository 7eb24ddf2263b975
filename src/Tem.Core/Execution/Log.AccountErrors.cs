using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What the worker says when a provider refuses the account (quota, billing, credentials).</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.BatchInterruptedForAccount, LogLevel.Error, "Batch {BatchId} is interrupted: the provider refused task {TaskId} for the account ({Kind}). {Message}")]
    public static partial void BatchInterruptedForAccount(ILogger logger, long batchId, long taskId, string kind, string message);

    [LoggerMessage(LogEvents.AccountInterruptFailed, LogLevel.Error, "Batch {BatchId} could not be interrupted after an account error; the task goes back to pending and the next refusal tries again.")]
    public static partial void AccountInterruptFailed(ILogger logger, long batchId, Exception exception);
}
