using System.Net;

namespace Tem;

/// <summary>
/// The one definition of what counts as a provider's refusal and of which kind (counted by interruption criteria
/// and by pacing alike): 429 is a rate limit; 529 is an overload; 503 is an overload; either of 429 and 503 whose
/// body speaks of concurrent requests is a concurrency refusal. Everything else is an ordinary response.
/// </summary>
public static class ProviderRefusal
{
    /// <summary>The status Anthropic uses for "overloaded".</summary>
    public const int OverloadedStatus = 529;

    /// <summary>Classifies a response by its status and (for 429/503) the start of its body; null when it is no refusal.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="body">The response body, or its first kilobytes; null when unknown.</param>
    public static ProviderRefusalKind? Classify(HttpStatusCode status, string? body) => (int)status switch
    {
        429 or 503 when MentionsConcurrency(body) => ProviderRefusalKind.Concurrency,
        429 => ProviderRefusalKind.RateLimit,
        503 or OverloadedStatus => ProviderRefusalKind.Overload,
        _ => null,
    };

    private static bool MentionsConcurrency(string? body)
        => body is not null && body.Contains("concurren", StringComparison.OrdinalIgnoreCase);
}
