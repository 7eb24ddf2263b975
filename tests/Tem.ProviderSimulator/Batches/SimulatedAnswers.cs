using System.Text.Json.Nodes;

namespace Tem.ProviderSimulator.Batches;

/// <summary>The bodies a simulated batch line answers with: a chat completion (OpenAI) or a message (Anthropic), with usage.</summary>
internal static class SimulatedAnswers
{
    /// <summary>The answer's text: "ok: " and the prompt's last message, so a test can tie an output line to its input.</summary>
    public static string Text(SimulatedLine line) => "ok: " + line.LastMessageText;

    public static JsonObject ChatCompletion(SimulatedLine line, string id, long created) => new()
    {
        ["id"] = "chatcmpl-" + id,
        ["object"] = "chat.completion",
        ["created"] = created,
        ["model"] = line.Model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = Text(line) },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject
        {
            ["prompt_tokens"] = line.PromptTokens,
            ["completion_tokens"] = line.CompletionTokens,
            ["total_tokens"] = line.PromptTokens + line.CompletionTokens,
        },
    };

    public static JsonObject Message(SimulatedLine line, string id) => new()
    {
        ["id"] = "msg_" + id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = line.Model,
        ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = Text(line) }),
        ["stop_reason"] = "end_turn",
        ["stop_sequence"] = null,
        ["usage"] = new JsonObject { ["input_tokens"] = line.PromptTokens, ["output_tokens"] = line.CompletionTokens },
    };
}
