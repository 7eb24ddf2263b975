namespace Tem;

/// <summary>The provider's answer to an <see cref="LlmRequest"/>, the same whichever route it took.</summary>
/// <param name="Text">The answer's text (every text part, joined).</param>
/// <param name="StopReason">Why it stopped (<c>stop</c>, <c>length</c>, <c>end_turn</c>, <c>max_tokens</c>…), as the provider says it.</param>
/// <param name="InputTokens">Prompt tokens the provider counted.</param>
/// <param name="OutputTokens">Answer tokens the provider counted.</param>
/// <param name="ViaProviderBatch">True when it came through the provider's batch API (at its discount).</param>
public sealed record LlmResponse(string Text, string? StopReason, long InputTokens, long OutputTokens, bool ViaProviderBatch);
