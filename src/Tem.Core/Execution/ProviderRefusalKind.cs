namespace Tem;

/// <summary>Why a provider refused a request; decides how Tem slows down (see <see cref="ProviderRefusal"/>).</summary>
public enum ProviderRefusalKind
{
    /// <summary>A rate limit (HTTP 429): too many requests or tokens in a window. Tem paces its start rate.</summary>
    RateLimit,

    /// <summary>The provider is overloaded for everyone (HTTP 529, or 503 without a concurrency message). Tem lowers its concurrency and backs off.</summary>
    Overload,

    /// <summary>Too many requests at once from this client. Tem lowers its concurrency below the number then in flight; other starts go on.</summary>
    Concurrency,
}
