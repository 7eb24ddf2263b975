namespace Tem;

/// <summary>
/// A provider-neutral chat request: Tem writes it as OpenAI chat-completions or Anthropic Messages JSON, live or as a
/// line of a provider batch.
/// </summary>
public sealed record LlmRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="model">The model; a provider batch file holds one model, so tasks of several models go into several.</param>
    /// <param name="messages">The conversation, oldest first; at least one.</param>
    /// <param name="maxTokens">The answer's token ceiling; positive.</param>
    /// <exception cref="ArgumentException">The model is blank, there is no message, or <paramref name="maxTokens"/> is not positive.</exception>
    public LlmRequest(string model, IReadOnlyList<LlmMessage> messages, int maxTokens)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("An LlmRequest needs a model, such as \"gpt-4o-mini\" or \"claude-haiku-4-5\".", nameof(model));
        }

        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            throw new ArgumentException("An LlmRequest needs at least one message: pass [LlmMessage.User(\"...\")].", nameof(messages));
        }

        if (maxTokens <= 0)
        {
            throw new ArgumentException($"maxTokens must be positive (the answer's token ceiling); got {maxTokens}.", nameof(maxTokens));
        }

        Model = model;
        Messages = messages;
        MaxTokens = maxTokens;
    }

    /// <summary>The model.</summary>
    public string Model { get; }

    /// <summary>The conversation, oldest first.</summary>
    public IReadOnlyList<LlmMessage> Messages { get; }

    /// <summary>The answer's token ceiling.</summary>
    public int MaxTokens { get; }

    /// <summary>System instructions, or null.</summary>
    public string? System { get; init; }

    /// <summary>
    /// A JSON schema the answer must follow (OpenAI's <c>response_format</c> json_schema, named <c>result</c>), as JSON
    /// text, or null for free text. Anthropic has no such field: there the schema is added to the system text.
    /// </summary>
    public string? ResponseSchemaJson { get; init; }
}
