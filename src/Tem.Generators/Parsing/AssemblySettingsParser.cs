using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tem.Generators.Diagnostics;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>Reads assembly-wide settings: the generated namespace and every [assembly: TemJsonContext].</summary>
internal static class AssemblySettingsParser
{
    public const string JsonContextAttributeName = "Tem.TemJsonContextAttribute";
    public const string DefaultNamespace = "Tem.Generated";

    public static AssemblySettings Parse(Compilation compilation, CancellationToken cancellationToken)
    {
        var contexts = new List<JsonContextModel>();
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var attribute in compilation.Assembly.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attribute.AttributeClass?.ToDisplayString() != JsonContextAttributeName
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol contextType
                || contextType is IErrorTypeSymbol
                || !SymbolHelpers.IsWellFormed(contextType))
            {
                continue;
            }

            var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            var problem = Problem(compilation, contextType);
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidJsonContext, location, SymbolHelpers.DisplayName(contextType), problem));
                continue;
            }

            contexts.Add(new JsonContextModel(SymbolHelpers.FullName(contextType), CoveredTypes(contextType), IncludesFields(contextType)));
        }

        return new AssemblySettings(NamespaceFor(compilation.AssemblyName), contexts.ToEquatableArray(), diagnostics.ToEquatableArray());
    }

    /// <summary>The assembly name made into a valid namespace (each dot-separated part an identifier).</summary>
    public static string NamespaceFor(string? assemblyName)
    {
        if (string.IsNullOrWhiteSpace(assemblyName))
        {
            return DefaultNamespace;
        }

        var parts = new List<string>();
        foreach (var rawPart in assemblyName!.Split('.'))
        {
            var builder = new StringBuilder();
            foreach (var c in rawPart)
            {
                builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
            }

            if (builder.Length == 0)
            {
                continue;
            }

            if (char.IsDigit(builder[0]))
            {
                builder.Insert(0, '_');
            }

            var part = builder.ToString();
            parts.Add(SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(part) != SyntaxKind.None ? "@" + part : part);
        }

        return parts.Count == 0 ? DefaultNamespace : string.Join(".", parts);
    }

    private static string? Problem(Compilation compilation, INamedTypeSymbol contextType)
    {
        var derives = false;
        for (var baseType = contextType.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (SymbolHelpers.Is(baseType, "System.Text.Json.Serialization", "JsonSerializerContext"))
            {
                derives = true;
                break;
            }
        }

        if (!derives)
        {
            return "it does not derive from System.Text.Json.Serialization.JsonSerializerContext";
        }

        if (contextType.IsAbstract || contextType.IsGenericType)
        {
            return "it is abstract or generic; name a concrete, non-generic partial context class";
        }

        if (!compilation.IsSymbolAccessibleWithin(contextType, compilation.Assembly))
        {
            return "generated code cannot access it; make it public or internal";
        }

        return null;
    }

    private static bool IncludesFields(INamedTypeSymbol contextType)
        => contextType.GetAttributes().Any(a => SymbolHelpers.Is(a.AttributeClass, "System.Text.Json.Serialization", "JsonSourceGenerationOptionsAttribute")
            && a.NamedArguments.Any(n => n.Key == "IncludeFields" && n.Value.Value is true));

    private static EquatableArray<CoveredType> CoveredTypes(INamedTypeSymbol contextType)
    {
        var covered = new List<(string Type, string? Property)>();
        foreach (var attribute in contextType.GetAttributes())
        {
            if (!SymbolHelpers.Is(attribute.AttributeClass, "System.Text.Json.Serialization", "JsonSerializableAttribute")
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not ITypeSymbol type
                || SymbolHelpers.ContainsErrors(type))
            {
                continue;
            }

            string? property = null;
            foreach (var named in attribute.NamedArguments)
            {
                // A name that is not an identifier cannot be a property; GetTypeInfo reaches the type either way.
                if (named.Key == "TypeInfoPropertyName" && named.Value.Value is string name && SyntaxFacts.IsValidIdentifier(name))
                {
                    property = name;
                }
            }

            // System.Text.Json names the property after a non-generic type's simple name; anything else goes through GetTypeInfo.
            if (property is null && type is INamedTypeSymbol { IsGenericType: false } named2 && SyntaxFacts.IsValidIdentifier(named2.Name))
            {
                property = named2.Name;
            }

            covered.Add((SymbolHelpers.FullName(type), property));
        }

        // Two roots with the same property name make System.Text.Json skip one; stay on the safe path for both.
        var ambiguous = new HashSet<string>(covered.Where(c => c.Property is not null).GroupBy(c => c.Property!).Where(g => g.Count() > 1).Select(g => g.Key));
        return covered
            .Select(c => new CoveredType(c.Type, c.Property is not null && !ambiguous.Contains(c.Property) ? c.Property : null))
            .ToEquatableArray();
    }
}
