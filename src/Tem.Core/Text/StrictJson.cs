using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tem;

/// <summary>
/// Serialises payloads and results as System.Text.Json would with their metadata, except that a string holding an
/// unpaired surrogate is refused (<see cref="UnpairedSurrogateException"/>) instead of silently written as U+FFFD.
/// The writer's encoder sees every string before it is escaped, so the check costs one vectorised scan.
/// </summary>
internal static class StrictJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static string Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var options = typeInfo.Options;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = StrictEncoder.For(options.Encoder),
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,
        }))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        var json = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // do not keep a huge payload's buffer per thread
        }

        return json;
    }

    /// <summary>Delegates to the context's encoder, but first refuses a string with an unpaired surrogate.</summary>
    private sealed class StrictEncoder(JavaScriptEncoder inner) : JavaScriptEncoder
    {
        private static readonly StrictEncoder Standard = new(JavaScriptEncoder.Default);

        public static StrictEncoder For(JavaScriptEncoder? encoder) => encoder is null ? Standard : new StrictEncoder(encoder);

        public override int MaxOutputCharactersPerInputCharacter => inner.MaxOutputCharactersPerInputCharacter;

        public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
        {
            var span = new ReadOnlySpan<char>(text, textLength);
            if (Utf16Text.IndexOfUnpairedSurrogate(span) is var index and >= 0)
            {
                throw new UnpairedSurrogateException(span[index], index);
            }

            return inner.FindFirstCharacterToEncode(text, textLength);
        }

        public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
            => inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

        public override bool WillEncode(int unicodeScalar) => inner.WillEncode(unicodeScalar);
    }
}

/// <summary>A string to serialise held an unpaired surrogate.</summary>
internal sealed class UnpairedSurrogateException(char surrogate, int index)
    : Exception(Utf16Text.Describe("A string", surrogate, index))
{
    public char Surrogate { get; } = surrogate;

    public int Index { get; } = index;
}
