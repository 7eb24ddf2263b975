using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What <see cref="LeaseGuard"/> says when the database stays silent past the lease, and when it answers again.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.ClaimsPausedForOutage, LogLevel.Error, "The database ({Database}) has not answered for {Silence}, longer than the lease ({Lease}): this worker's leases may have expired and other workers may own its tasks, so it claims nothing until the database answers again. Running handlers go on; their outcomes are kept and written when it returns.")]
    public static partial void ClaimsPausedForOutage(ILogger logger, TimeSpan silence, TimeSpan lease, string database);

    [LoggerMessage(LogEvents.ClaimsResumed, LogLevel.Warning, "The database answers again after {Outage}: the leases of the runs in flight are renewed and the worker claims again.")]
    public static partial void ClaimsResumed(ILogger logger, TimeSpan outage);

    [LoggerMessage(LogEvents.StaleClaimReleased, LogLevel.Warning, "Released {Count} claimed tasks without running them: the claim's answer came {Age} after it was sent, too late for its lease ({Lease}) or after the worker paused for an outage, so another worker may already run them.")]
    public static partial void StaleClaimReleased(ILogger logger, int count, TimeSpan age, TimeSpan lease);

    [LoggerMessage(LogEvents.StaleStartReleased, LogLevel.Warning, "Released task {TaskId} without running it: its claim is {Age} old, too close to its lease ({Lease}) or from before an outage pause, so another worker may already run it.")]
    public static partial void StaleStartReleased(ILogger logger, long taskId, TimeSpan age, TimeSpan lease);

    [LoggerMessage(LogEvents.DatabaseUnreachable, LogLevel.Warning, "The database ({Database}) has not answered for {Silence}: the worker keeps retrying; running handlers go on and their outcomes are kept. Claims stop if it stays silent past the lease ({Lease}).")]
    public static partial void DatabaseUnreachable(ILogger logger, TimeSpan silence, string database, TimeSpan lease);

    [LoggerMessage(LogEvents.DatabaseAnswersAgain, LogLevel.Warning, "The database ({Database}) answers again after {Outage}.")]
    public static partial void DatabaseAnswersAgain(ILogger logger, TimeSpan outage, string database);
}
