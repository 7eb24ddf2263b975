namespace Tem.Storage;

/// <summary>The outcome strings of the attempt history, in one place.</summary>
internal static class AttemptNames
{
    /// <summary>A refusal for overload or too many concurrent requests, as the attempt history stores it.</summary>
    public const string Overloaded = "overloaded";

    /// <summary>A rate-limit refusal, as the attempt history stores it.</summary>
    public const string Deferred = "deferred";

    public static string ToText(OutcomeKind kind, bool overloaded = false) => kind switch
    {
        OutcomeKind.Retry => "retried",
        OutcomeKind.Failed => "failed",
        OutcomeKind.Deferred => overloaded ? Overloaded : Deferred,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only failures and refusals are kept as attempts."),
    };

    public static TaskAttemptOutcome Parse(string text) => text switch
    {
        "retried" => TaskAttemptOutcome.Retried,
        "failed" => TaskAttemptOutcome.Failed,
        "deferred" => TaskAttemptOutcome.Deferred,
        "overloaded" => TaskAttemptOutcome.Overloaded,
        "lost" => TaskAttemptOutcome.Lost,
        "completed" => TaskAttemptOutcome.Completed,
        _ => throw new TemDatabaseException($"The database holds an unknown attempt outcome '{text}'."),
    };
}
