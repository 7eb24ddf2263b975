using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What the shared limit logs.</summary>
internal static partial class SharedRateLog
{
    [LoggerMessage(LogEvents.GrantRenewed, LogLevel.Debug, "Task {TaskId} reached its handler {Age} after its shared start was granted, later than the margin covers; it waits for a fresh grant.")]
    public static partial void GrantRenewed(ILogger logger, long taskId, TimeSpan age);

    [LoggerMessage(LogEvents.PauseNotShared, LogLevel.Warning, "Could not share a pause of {Delay} under the rate limit '{Name}' with the other engines; this engine paused itself.")]
    public static partial void PauseNotShared(ILogger logger, string name, TimeSpan delay, Exception exception);
}
