using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Tem.ProviderSimulator;

/// <summary>Which wire format a request came in: the plain completion, OpenAI chat completions or Anthropic messages.</summary>
internal enum ChatFormat
{
    Completion,
    OpenAiChat,
    AnthropicMessages,
}

/// <summary>
/// What the simulator reads from a request and how it answers in each format. A chat request's token charge is its
/// prompt (characters ÷ 4, at least 1) plus its max_tokens (OpenAI counts both at admission); the usage it reports
/// is the same split, so a client that reserves prompt estimate + max_tokens is charged what it reserved.
/// </summary>
internal sealed partial record ChatRequest(string Model, int InputTokens, int MaxTokens, string? Document)
{
    public int Charge => InputTokens + MaxTokens;

    [GeneratedRegex(@"doc-\d+")]
    private static partial Regex DocumentPattern();

    /// <summary>Reads the body; null when it is not JSON.</summary>
    public static ChatRequest? Read(ChatFormat format, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var maxTokens = root.TryGetProperty("max_tokens", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32()
                : root.TryGetProperty("max_completion_tokens", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32()
                : 16;
            var input = format == ChatFormat.Completion ? 0 : Math.Max(1, PromptLength(root) / 4);
            var doc = DocumentPattern().Match(body) is { Success: true } match ? match.Value : null;
            return new ChatRequest(model, input, maxTokens, doc);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int PromptLength(JsonElement root)
    {
        var length = 0;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                length += message.TryGetProperty("content", out var content) ? content.GetRawText().Length : 0;
            }
        }

        return length;
    }

    /// <summary>Writes the success body of the request's format; its usage reports <paramref name="outputShare"/> of max_tokens as output.</summary>
    public Task WriteSuccessAsync(HttpContext http, ChatFormat format, long id, double outputShare)
    {
        http.Response.ContentType = "application/json";
        var output = outputShare >= 1 ? MaxTokens : (int)Math.Ceiling(MaxTokens * Math.Max(0, outputShare));
        var text = $"ok {Document ?? "-"}";
        var body = format switch
        {
            ChatFormat.OpenAiChat => string.Create(CultureInfo.InvariantCulture,
                $$$"""{"id":"chatcmpl-{{{id}}}","object":"chat.completion","created":1700000000,"model":"{{{Model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{{text}}}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":{{{InputTokens}}},"completion_tokens":{{{output}}},"total_tokens":{{{InputTokens + output}}}}}"""),
            ChatFormat.AnthropicMessages => string.Create(CultureInfo.InvariantCulture,
                $$$"""{"id":"msg_{{{id}}}","type":"message","role":"assistant","model":"{{{Model}}}","content":[{"type":"text","text":"{{{text}}}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":{{{InputTokens}}},"output_tokens":{{{output}}}}}"""),
            _ => string.Create(CultureInfo.InvariantCulture, $$$"""{"choices":[{"text":"ok"}],"usage":{"total_tokens":{{{output}}}}}"""),
        };
        return http.Response.WriteAsync(body);
    }
}
