namespace Tem.Storage;

/// <summary>The interruption kinds as stored, in one place.</summary>
internal static class InterruptionNames
{
    public static string ToText(InterruptionKind kind) => kind switch
    {
        InterruptionKind.ErrorRate => "error-rate",
        InterruptionKind.FailedTasks => "failed-tasks",
        InterruptionKind.ConsecutiveFailures => "consecutive-failures",
        InterruptionKind.Runtime => "runtime",
        InterruptionKind.RateLimitHits => "rate-limit-hits",
        InterruptionKind.Overload => "overload",
        InterruptionKind.Manual => "manual",
        InterruptionKind.Quota => "quota",
        InterruptionKind.Billing => "billing",
        InterruptionKind.Credentials => "credentials",
        InterruptionKind.Budget => "budget",
        _ => "other",
    };

    public static InterruptionKind Parse(string text) => text switch
    {
        "error-rate" => InterruptionKind.ErrorRate,
        "failed-tasks" => InterruptionKind.FailedTasks,
        "consecutive-failures" => InterruptionKind.ConsecutiveFailures,
        "runtime" => InterruptionKind.Runtime,
        "rate-limit-hits" => InterruptionKind.RateLimitHits,
        "overload" => InterruptionKind.Overload,
        "manual" => InterruptionKind.Manual,
        "quota" => InterruptionKind.Quota,
        "billing" => InterruptionKind.Billing,
        "credentials" => InterruptionKind.Credentials,
        "budget" => InterruptionKind.Budget,
        _ => InterruptionKind.Other,
    };
}
