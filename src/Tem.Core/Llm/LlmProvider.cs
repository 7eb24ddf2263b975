namespace Tem;

/// <summary>The API dialect of an <see cref="LlmEndpoint"/>.</summary>
public enum LlmProvider
{
    /// <summary>OpenAI: <c>/v1/chat/completions</c>, and <c>/v1/files</c> + <c>/v1/batches</c> for batches.</summary>
    OpenAI,

    /// <summary>Anthropic: <c>/v1/messages</c>, and <c>/v1/messages/batches</c> for batches.</summary>
    Anthropic,
}
