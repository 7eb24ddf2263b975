namespace Tem;

/// <summary>
/// Thrown by a handler when the provider asked to slow down (HTTP 429 with Retry-After). The task is
/// rescheduled after <see cref="RetryAfter"/> without consuming an attempt, and the worker pauses
/// new starts for that long. The pause is capped by <see cref="TemOptions.MaxRetryAfter"/>, and a task
/// deferred more than <see cref="TemOptions.MaxRateLimitDeferrals"/> times counts the next one as a
/// failed attempt, so a provider that always refuses cannot loop a task forever.
/// </summary>
public class RetryAfterException : Exception
{
    /// <summary>Creates the exception for a provider that asked to wait <paramref name="retryAfter"/>.</summary>
    public RetryAfterException(TimeSpan retryAfter, string? message = null, Exception? innerException = null)
        : base(message ?? $"The provider asked to retry after {retryAfter.TotalSeconds:0.###} s.", innerException)
    {
        RetryAfter = retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;
    }

    /// <summary>How long the provider asked to wait.</summary>
    public TimeSpan RetryAfter { get; }
}
