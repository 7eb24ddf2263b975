using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What <see cref="LeaseGuard"/> says when the database stays silent past the lease, and when it answers again.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.ClaimsPausedForOutage, LogLevel.Error, "The database ({Database}) has not answered for {Silence}, longer than the lease ({Lease}): this worker's leases may have expired and other workers may own its tasks, so it claims nothing until the database answers again. Running handlers go on; their outcomes are kept and written when it returns.")]
    public static partial void ClaimsPausedForOutage(ILogger logger, TimeSpan silence, TimeSpan lease, string database);

    [LoggerMessage(LogEvents.ClaimsResumed, LogLevel.Warning, "The database answers again after {Outage}: the leases of the runs in flight are renewed and the worker claims again.")]
    public static partial void ClaimsResumed(ILogger logger, TimeSpan outage);
}
