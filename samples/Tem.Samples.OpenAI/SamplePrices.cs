using System.Globalization;

namespace Tem.Samples;

/// <summary>
/// The samples' <c>--price MODEL=IN/OUT</c> (US dollars per 1M input and output tokens; repeatable, or several
/// separated by commas) and <c>--max-cost USD</c>. Shared by the OpenAI and Anthropic samples (linked, not copied).
/// </summary>
public static class SamplePrices
{
    /// <summary>Reads every <c>--price</c> value into a table by model; a later price of a model replaces an earlier one.</summary>
    /// <exception cref="FormatException">A value is not MODEL=IN/OUT with two non-negative numbers.</exception>
    public static Dictionary<string, ModelPrice> Parse(IEnumerable<string> values)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var item in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var equals = item.LastIndexOf('=');
            var slash = equals < 0 ? -1 : item.IndexOf('/', equals);
            if (equals <= 0 || slash < 0 || !Usd(item[(equals + 1)..slash], out var input) || !Usd(item[(slash + 1)..], out var output))
            {
                throw new FormatException($"--price '{item}' must be MODEL=IN/OUT in US dollars per 1M tokens, such as gpt-4o-mini=0.15/0.60");
            }

            prices[item[..equals].Trim()] = new ModelPrice(input, output);
        }

        return prices;
    }

    /// <summary>Reads <c>--max-cost</c>: US dollars, 0 or more.</summary>
    /// <exception cref="FormatException">The value is not a non-negative number.</exception>
    public static decimal ParseMaxCost(string text)
        => Usd(text, out var usd) ? usd : throw new FormatException($"--max-cost '{text}' must be US dollars, 0 or more, such as 2.50");

    /// <summary>Dollars as the last line shows them: cents, and any further digits there are.</summary>
    public static string Format(decimal usd) => usd.ToString("0.00#######", CultureInfo.InvariantCulture);

    private static bool Usd(string text, out decimal usd)
        => decimal.TryParse(text.Trim().TrimStart('$'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out usd) && usd >= 0;
}
