namespace Tem.Cli;

/// <summary>How the commands read a status and write enum values, long texts and CSV fields.</summary>
internal static class CliText
{
    public static TemTaskStatus? ParseStatus(string? text) => text is null ? null
        : Enum.TryParse<TemTaskStatus>(text, ignoreCase: true, out var status) ? status
        : throw new CliException($"unknown status '{text}'; use pending, running, completed, failed or cancelled.");

    public static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static string? Truncate(string? text, int length) => text is null || text.Length <= length ? text : text[..(length - 1)] + "…";

    public static string Csv(string? value) => value is null ? "" : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
