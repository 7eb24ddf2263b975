namespace Tem;

/// <summary>How a Tem batch's LLM tasks reach the provider. Set with <see cref="BatchService.SetRouteAsync"/>; it may change while the batch runs.</summary>
public enum LlmRoute
{
    /// <summary>Tem calls the provider itself, paced by its provider limits (the default).</summary>
    Live,

    /// <summary>Through the provider's batch API: half the price, results within the provider's window (24 h).</summary>
    ProviderBatch,

    /// <summary>First attempts through the batch API; retries and lines the provider did not run, live.</summary>
    Auto,
}
