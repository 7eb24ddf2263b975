using System.Linq;
using Tem.Generators.Model;

namespace Tem.Generators.Emitting;

/// <summary>Where a payload or result type's JSON metadata comes from, and what TEM008 says when nothing covers it.</summary>
internal static class JsonCoverage
{
    /// <summary>The JSON source of <paramref name="type"/> from a context named with [assembly: TemJsonContext], or null.</summary>
    public static JsonSource? FromNamedContext(TypeRef type, AssemblySettings settings)
    {
        foreach (var context in settings.JsonContexts)
        {
            foreach (var covered in context.CoveredTypes)
            {
                if (covered.TypeName == type.FullyQualifiedName)
                {
                    return covered.PropertyName is { } property
                        ? new JsonSource($"{context.TypeName}.Default.{Parsing.JsonTypeAnalyzer.EscapeIdentifier(property)}")
                        : new JsonSource($"((global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<{type.FullyQualifiedName}>){context.TypeName}.Default.GetTypeInfo(typeof({type.FullyQualifiedName}))!)");
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="loss"/> is real: Tem's own metadata never writes fields, and a named context does only if
    /// it sets IncludeFields.
    /// </summary>
    public static bool Drops(TypeRef type, JsonLoss? loss, AssemblySettings settings)
    {
        if (loss is null)
        {
            return false;
        }

        foreach (var context in settings.JsonContexts)
        {
            if (context.IncludesFields && context.CoveredTypes.Any(c => c.TypeName == type.FullyQualifiedName))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a named context or Tem itself describes the type.</summary>
    public static bool IsDescribed(TypeRef type, JsonClosure? closure, AssemblySettings settings)
        => closure is not null || FromNamedContext(type, settings) is not null;

    /// <summary>
    /// TEM008's explanation: the member at fault and what is wrong with it, then a fix that leads to a build that runs —
    /// a JsonSerializerContext only when System.Text.Json's own generator would read the type back, else the change to make.
    /// </summary>
    public static string RefusalText(JsonRefusal? refusal, string typeDisplay)
    {
        const string NameAContext = "add [JsonSerializable(typeof({0}))] to a JsonSerializerContext and name that context with [assembly: Tem.TemJsonContext(typeof(YourContext))]";
        if (refusal is null)
        {
            return "Tem cannot describe it; " + string.Format(System.Globalization.CultureInfo.InvariantCulture, NameAContext, typeDisplay);
        }

        // The path starts with the type itself; anything longer names the member through which the refusal was reached.
        var at = refusal.Member.Length > typeDisplay.Length
            ? $"member '{refusal.Member}': "
            : "";
        return refusal.ContextCanHelp
            ? $"{at}{refusal.Reason}; " + string.Format(System.Globalization.CultureInfo.InvariantCulture, NameAContext, typeDisplay)
            : at + refusal.Reason;
    }
}
