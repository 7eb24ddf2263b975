using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tem.Llm;

/// <summary>
/// An <see cref="LlmRequest"/> as each provider's JSON body, and each provider's answer as an <see cref="LlmResponse"/>.
/// Written with <see cref="Utf8JsonWriter"/> and read with <see cref="JsonElement"/>: no reflection, AOT-clean.
/// </summary>
internal static class LlmWire
{
    /// <summary>The request body in the provider's dialect, as UTF-8 JSON.</summary>
    public static byte[] Body(LlmProvider provider, LlmRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, provider, request);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the request body in the provider's dialect.</summary>
    public static void Write(Utf8JsonWriter writer, LlmProvider provider, LlmRequest request)
    {
        writer.WriteStartObject();
        writer.WriteString("model", request.Model);
        writer.WriteNumber("max_tokens", request.MaxTokens);
        var system = request.System;
        if (provider == LlmProvider.Anthropic && request.ResponseSchemaJson is { } schema)
        {
            system = (system is null ? "" : system + "\n\n") + "Answer with JSON only, following this JSON schema: " + schema;
        }

        if (provider == LlmProvider.Anthropic && system is not null)
        {
            writer.WriteString("system", system);
        }

        writer.WriteStartArray("messages");
        if (provider == LlmProvider.OpenAI && system is not null)
        {
            WriteMessage(writer, "system", system);
        }

        foreach (var message in request.Messages)
        {
            WriteMessage(writer, message.Role, message.Content);
        }

        writer.WriteEndArray();
        if (provider == LlmProvider.OpenAI && request.ResponseSchemaJson is { } openAiSchema)
        {
            writer.WriteStartObject("response_format");
            writer.WriteString("type", "json_schema");
            writer.WriteStartObject("json_schema");
            writer.WriteString("name", "result");
            writer.WritePropertyName("schema");
            writer.WriteRawValue(openAiSchema);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", content);
        writer.WriteEndObject();
    }

    /// <summary>Reads an OpenAI chat completion or an Anthropic message.</summary>
    /// <exception cref="FormatException">The body has neither shape.</exception>
    public static LlmResponse Read(LlmProvider provider, JsonElement body, bool viaBatch)
    {
        try
        {
            return provider == LlmProvider.OpenAI ? ReadOpenAi(body, viaBatch) : ReadAnthropic(body, viaBatch);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new FormatException($"The {provider} response is not a {(provider == LlmProvider.OpenAI ? "chat completion" : "message")}: {Shorten(body.GetRawText())}", ex);
        }
    }

    private static LlmResponse ReadOpenAi(JsonElement body, bool viaBatch)
    {
        var choice = body.GetProperty("choices")[0];
        var text = choice.GetProperty("message").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString()! : "";
        var stop = choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String ? finish.GetString() : null;
        var (input, output) = Usage(body, "prompt_tokens", "completion_tokens");
        return new LlmResponse(text, stop, input, output, viaBatch);
    }

    private static LlmResponse ReadAnthropic(JsonElement body, bool viaBatch)
    {
        var text = new StringBuilder();
        foreach (var part in body.GetProperty("content").EnumerateArray())
        {
            if (part.TryGetProperty("type", out var type) && type.ValueEquals("text"))
            {
                text.Append(part.GetProperty("text").GetString());
            }
        }

        var stop = body.TryGetProperty("stop_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
        var (input, output) = Usage(body, "input_tokens", "output_tokens");
        return new LlmResponse(text.ToString(), stop, input, output, viaBatch);
    }

    private static (long Input, long Output) Usage(JsonElement body, string inputName, string outputName)
    {
        if (!body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return (0, 0);
        }

        return (Number(usage, inputName), Number(usage, outputName));
    }

    private static long Number(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : 0;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
