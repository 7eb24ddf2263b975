namespace Tem;

/// <summary>
/// Thrown by a handler when the provider asked to slow down (HTTP 429 with Retry-After). The task is
/// rescheduled after <see cref="RetryAfter"/> without consuming an attempt, and Tem slows down as
/// <see cref="Kind"/> says: a rate limit pauses new starts for that long and paces the start rate, an
/// overload or a concurrency refusal lowers the number of handlers at once. A pause is capped by
/// <see cref="TemOptions.MaxRetryAfter"/>, and a task deferred more than <see cref="TemOptions.MaxRateLimitDeferrals"/>
/// times counts the next one as a failed attempt, so a provider that always refuses cannot loop a task forever.
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

    /// <summary>What kind of refusal this was. Default <see cref="ProviderRefusalKind.RateLimit"/>.</summary>
    public ProviderRefusalKind Kind { get; init; } = ProviderRefusalKind.RateLimit;

    /// <summary>False when the provider gave no Retry-After and <see cref="RetryAfter"/> is a default: Tem then backs off by itself, longer each time.</summary>
    internal bool IsAdvised { get; init; } = true;

    /// <summary>How many of this client's requests were in flight when the refused one left (itself included); 0 when unknown.</summary>
    internal int InFlightAtSend { get; init; }

    /// <summary>The limit group the refusal was charged to (its pause set there); null when no group saw it.</summary>
    internal LimitGroupKey? ChargedTo { get; set; }

    /// <summary>How long the group that was charged pauses, which is how long the refused task waits.</summary>
    internal TimeSpan? GroupWait { get; set; }
}
