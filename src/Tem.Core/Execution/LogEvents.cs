namespace Tem.Execution;

/// <summary>
/// Every EventId the engine logs, in one place: a log pipeline filters and alerts on these numbers, so one must never
/// be reused for another event (a test checks that they are distinct and that every [LoggerMessage] takes its id from
/// here). Ranges: 1-39 the worker, 40-59 database outages, 60-79 shared rate limits. Add new ids; never renumber.
/// </summary>
internal static class LogEvents
{
    public const int OutcomeRejected = 1;

    public const int OutcomeWriteFailed = 2;

    public const int ClaimFailed = 3;

    public const int LeasesRecovered = 4;

    public const int LeaseUpkeepFailed = 5;

    public const int StopTimedOut = 6;

    public const int TaskEnded = 7;

    public const int OutcomesWrittenAfterRetry = 8;

    public const int OutcomeWriteAbandoned = 9;

    public const int HandlersAbandoned = 10;

    public const int DatabaseLost = 11;

    public const int DisposeFailed = 12;

    public const int TasksUnhandled = 13;

    public const int TaskFailed = 14;

    public const int TaskRetrying = 15;

    public const int ClaimsPausedForOutage = 40;

    public const int ClaimsResumed = 41;

    public const int StaleClaimReleased = 42;

    public const int StaleStartReleased = 43;

    public const int DatabaseUnreachable = 44;

    public const int DatabaseAnswersAgain = 45;

    public const int GrantRenewed = 60;

    public const int PauseNotShared = 61;

    public const int BatchEndedHandlerFailed = 70;

    public const int BatchEndWatchFailed = 71;

    public const int BatchInterruptedForAccount = 80;

    public const int AccountInterruptFailed = 81;

    /// <summary>A provider-batch step (upload, create, poll, download) failed; the submission is tried again later.</summary>
    public const int ProviderBatchStepFailed = 90;

    /// <summary>The provider-batch loop failed; it goes on after a pause.</summary>
    public const int ProviderBatchLoopFailed = 91;
}
