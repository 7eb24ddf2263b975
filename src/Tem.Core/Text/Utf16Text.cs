namespace Tem;

/// <summary>
/// Text that Tem stores must be well-formed UTF-16: an unpaired surrogate (half of an emoji, often left by cutting a
/// string by character count) has no UTF-8 form, so storing it would silently turn it into U+FFFD and, say, make
/// two different idempotency keys equal. Tem refuses such text instead, naming where it was.
/// </summary>
internal static class Utf16Text
{
    /// <summary>The index of the first unpaired surrogate in <paramref name="text"/>, or -1.</summary>
    public static int IndexOfUnpairedSurrogate(ReadOnlySpan<char> text)
    {
        var offset = 0;
        while (true)
        {
            var found = text[offset..].IndexOfAnyInRange('\uD800', '\uDFFF');
            if (found < 0)
            {
                return -1;
            }

            var i = offset + found;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                offset = i + 2;
                continue;
            }

            return i;
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="what"/> if the text holds an unpaired surrogate.</summary>
    public static void Require(string? text, string what, string parameterName)
    {
        if (text is not null && IndexOfUnpairedSurrogate(text) is var index and >= 0)
        {
            throw new ArgumentException(Describe(what, text[index], index), parameterName);
        }
    }

    public static string Describe(string what, char surrogate, int index)
        => $"{what} holds an unpaired UTF-16 surrogate (U+{(int)surrogate:X4} at index {index}), which cannot be stored without changing it. " +
           "Fix the text (often a string cut in the middle of an emoji or other character outside the Basic Multilingual Plane), then retry.";
}
