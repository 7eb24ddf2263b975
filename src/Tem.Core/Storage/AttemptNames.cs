namespace Tem.Storage;

/// <summary>The outcome strings of the attempt history, in one place.</summary>
internal static class AttemptNames
{
    public static string ToText(OutcomeKind kind) => kind switch
    {
        OutcomeKind.Retry => "retried",
        OutcomeKind.Failed => "failed",
        OutcomeKind.Deferred => "deferred",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only failures and refusals are kept as attempts."),
    };

    public static TaskAttemptOutcome Parse(string text) => text switch
    {
        "retried" => TaskAttemptOutcome.Retried,
        "failed" => TaskAttemptOutcome.Failed,
        "deferred" => TaskAttemptOutcome.Deferred,
        "lost" => TaskAttemptOutcome.Lost,
        "completed" => TaskAttemptOutcome.Completed,
        _ => throw new TemDatabaseException($"The database holds an unknown attempt outcome '{text}'."),
    };
}
