using System.Reflection;

namespace Tem.Generators.Emitting;

/// <summary>
/// The version generated code names in [GeneratedCode]: the package version this generator was built as (its informational
/// version without the "+commit" suffix), so a user can tell which Tem wrote a file.
/// </summary>
internal static class GeneratorVersion
{
    public static readonly string Value = Read();

    /// <summary>The attribute line every generated type carries.</summary>
    public static readonly string GeneratedCodeAttribute = $"[global::System.CodeDom.Compiler.GeneratedCode(\"Tem.Generators\", \"{Value}\")]";

    private static string Read()
    {
        var assembly = typeof(GeneratorVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            var plus = informational!.IndexOf('+');
            return plus < 0 ? informational : informational.Substring(0, plus);
        }

        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
