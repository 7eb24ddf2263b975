namespace Tem;

/// <summary>One chat message of an <see cref="LlmRequest"/>.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c> (system text goes in <see cref="LlmRequest.System"/>).</param>
/// <param name="Content">The message text.</param>
public sealed record LlmMessage(string Role, string Content)
{
    /// <summary>A user message.</summary>
    public static LlmMessage User(string content) => new("user", content);

    /// <summary>An assistant message (a prefilled or earlier answer).</summary>
    public static LlmMessage Assistant(string content) => new("assistant", content);
}
