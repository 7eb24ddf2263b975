namespace Tem;

/// <summary>The tokens one call used, as the provider reported them.</summary>
/// <param name="InputTokens">Prompt tokens, cached ones included.</param>
/// <param name="CachedInputTokens">Of <paramref name="InputTokens"/>, those read from the provider's prompt cache.</param>
/// <param name="OutputTokens">Generated tokens.</param>
public readonly record struct TokenUsage(long InputTokens, long CachedInputTokens, long OutputTokens)
{
    /// <summary>Input and output tokens together.</summary>
    public long TotalTokens => InputTokens + OutputTokens;
}
