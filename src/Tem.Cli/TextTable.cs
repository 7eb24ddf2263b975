namespace Tem.Cli;

/// <summary>A plain-text table with aligned columns; numbers right-aligned.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params object?[] cells) => _rows.Add(cells.Select(Format).ToArray());

    public void WriteTo(TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var numeric = headers.Select((header, i) => _rows.Count > 0 && _rows.All(r => r[i].Length == 0 || double.TryParse(r[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))).ToArray();
        writer.WriteLine(string.Join("  ", headers.Select((h, i) => numeric[i] ? h.PadLeft(widths[i]) : h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in _rows)
        {
            writer.WriteLine(string.Join("  ", row.Select((c, i) => numeric[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        DateTimeOffset t => t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        TimeSpan s => Durations.Format(s),
        double d => d.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString()!.ReplaceLineEndings(" "),
    };
}

/// <summary>Durations the way people read them: 850 ms, 12.3 s, 4m05s, 2h10m.</summary>
internal static class Durations
{
    public static string Format(TimeSpan span) => span.TotalSeconds switch
    {
        < 1 => $"{span.TotalMilliseconds:0} ms",
        < 60 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s"),
        < 3600 => $"{(int)span.TotalMinutes}m{span.Seconds:00}s",
        _ => $"{(int)span.TotalHours}h{span.Minutes:00}m",
    };
}
