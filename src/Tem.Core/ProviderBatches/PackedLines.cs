using System.Buffers;
using System.Text.Json;
using Tem.Llm;

namespace Tem.ProviderBatches;

/// <summary>
/// A submission's lines, written once as the provider wants them: OpenAI's JSONL input file
/// (<c>{custom_id, method, url, body}</c> a line) or Anthropic's request bodies.
/// </summary>
internal sealed class PackedLines
{
    private PackedLines(byte[] jsonl, IReadOnlyList<(string CustomId, byte[] Body)> bodies, int count)
    {
        Jsonl = jsonl;
        Bodies = bodies;
        Count = count;
    }

    /// <summary>OpenAI's input file; empty for Anthropic.</summary>
    public byte[] Jsonl { get; }

    /// <summary>Anthropic's request bodies by custom_id; empty for OpenAI.</summary>
    public IReadOnlyList<(string CustomId, byte[] Body)> Bodies { get; }

    public int Count { get; }

    /// <summary>The bytes one line takes in <paramref name="provider"/>'s batch (for the size limit).</summary>
    public static int LineBytes(LlmProvider provider, string customId, byte[] body) => body.Length + customId.Length + (provider == LlmProvider.OpenAI ? 70 : 30);

    public static PackedLines Pack(LlmProvider provider, IReadOnlyList<(string CustomId, byte[] Body)> lines)
    {
        if (provider == LlmProvider.Anthropic)
        {
            return new PackedLines([], lines, lines.Count);
        }

        var buffer = new ArrayBufferWriter<byte>(lines.Count * 256 + 16);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            foreach (var (customId, body) in lines)
            {
                writer.WriteStartObject();
                writer.WriteString("custom_id", customId);
                writer.WriteString("method", "POST");
                writer.WriteString("url", "/v1/chat/completions");
                writer.WritePropertyName("body");
                writer.WriteRawValue(body, skipInputValidation: true);
                writer.WriteEndObject();
                writer.Flush();
                writer.Reset();
                buffer.Write("\n"u8);
            }
        }

        return new PackedLines(buffer.WrittenSpan.ToArray(), [], lines.Count);
    }

    /// <summary>Builds every line's body from the recorded tasks again (recovery: the first build died with its process).</summary>
    public static PackedLines Rebuild(LlmTaskEntry entry, IReadOnlyList<Storage.SubmissionTask> tasks)
        => Pack(entry.Endpoint.Provider, [.. tasks.Select(t => (t.CustomId, LlmWire.Body(entry.Endpoint.Provider, entry.Build(t.Payload))))]);
}
