using System.Text.Json.Nodes;

namespace Tem.ProviderSimulator.Batches;

/// <summary>One request of a provider batch: its id, its request body, and whether the simulator will fail it.</summary>
internal sealed record SimulatedLine(string CustomId, JsonObject? Body, bool Fails)
{
    public string? Model => Body?["model"] is JsonValue v && v.TryGetValue<string>(out var m) ? m : null;

    /// <summary>The request's token ceiling (<c>max_tokens</c>, or OpenAI's <c>max_completion_tokens</c>), default 16.</summary>
    public int MaxTokens => Body?["max_tokens"] is JsonValue v && v.TryGetValue<int>(out var t) ? t
        : Body?["max_completion_tokens"] is JsonValue w && w.TryGetValue<int>(out var u) ? u : 16;

    /// <summary>The text of the last message, which the simulated answer echoes so a test can map it back.</summary>
    public string LastMessageText
    {
        get
        {
            if (Body?["messages"] is not JsonArray { Count: > 0 } messages || messages[^1]?["content"] is not { } content)
            {
                return "";
            }

            return content is JsonValue text && text.TryGetValue<string>(out var s) ? s : content.ToJsonString();
        }
    }

    /// <summary>A rough prompt size: four characters a token, as providers' own estimates go.</summary>
    public int PromptTokens => Math.Max(1, (Body?["messages"]?.ToJsonString().Length ?? 0) / 4);

    /// <summary>The simulated answer's length in tokens: at most the ceiling.</summary>
    public int CompletionTokens => Math.Min(MaxTokens, 8);
}
