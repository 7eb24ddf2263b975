namespace Tem;

/// <summary>
/// The provider is overloaded (HTTP 529, or 503 without Retry-After): like a 429 the task waits without using an
/// attempt, within <see cref="TemOptions.MaxRateLimitDeferrals"/>, and Tem lowers its concurrency instead of pausing.
/// </summary>
public sealed class ProviderOverloadedException : RetryAfterException
{
    /// <summary>Creates the exception; <paramref name="retryAfter"/> is the provider's advice, or a short default.</summary>
    public ProviderOverloadedException(TimeSpan retryAfter, string? message = null, Exception? innerException = null)
        : base(retryAfter, message ?? $"The provider is overloaded; retry after {retryAfter.TotalSeconds:0.###} s.", innerException)
    {
        Kind = ProviderRefusalKind.Overload;
    }
}
