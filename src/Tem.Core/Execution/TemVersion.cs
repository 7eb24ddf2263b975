using System.Reflection;

namespace Tem.Execution;

/// <summary>
/// The version Tem's meter and activity source report: the package version this assembly was built as (its
/// informational version without the "+commit" suffix), so a trace or a dashboard tells which Tem emitted it.
/// </summary>
internal static class TemVersion
{
    public static readonly string Value = Read();

    private static string Read()
    {
        var assembly = typeof(TemVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }

        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
