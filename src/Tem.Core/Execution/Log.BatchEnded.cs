using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What the batch-end watcher (<see cref="TemOptions.OnBatchEnded"/>) logs.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.BatchEndedHandlerFailed, LogLevel.Error, "The OnBatchEnded callback threw for batch {BatchId} ({Kind}); later ends are still reported.")]
    public static partial void BatchEndedHandlerFailed(ILogger logger, long batchId, BatchEndKind kind, Exception exception);

    [LoggerMessage(LogEvents.BatchEndWatchFailed, LogLevel.Warning, "Could not read the batches to report their ends; looking again after the poll interval.")]
    public static partial void BatchEndWatchFailed(ILogger logger, Exception exception);
}
