using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>
/// Finds a member that System.Text.Json would silently drop: a public field (fields are skipped unless the options set
/// IncludeFields or the field has [JsonInclude]), which includes every value tuple, whose items are fields. Such a payload
/// compiles with any context and is then stored as <c>{}</c> — data lost without a word — so Tem makes it a compile error.
/// </summary>
internal static class LossyMemberFinder
{
    private const string JsonNamespace = "System.Text.Json.Serialization";

    /// <summary>The first dropped member reachable from <paramref name="root"/>, or null.</summary>
    public static JsonLoss? Find(ITypeSymbol root)
    {
        var path = new List<string> { SymbolHelpers.DisplayName(root) };
        return Visit(root, path, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));
    }

    private static JsonLoss? Visit(ITypeSymbol type, List<string> path, HashSet<ITypeSymbol> seen)
    {
        if (!seen.Add(type) || seen.Count > 200)
        {
            return null;
        }

        if (type is IArrayTypeSymbol array)
        {
            return Visit(array.ElementType, path, seen);
        }

        if (type is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct) || named.SpecialType != SpecialType.None)
        {
            return null;
        }

        var display = SymbolHelpers.DisplayName(named);
        if (named.IsTupleType)
        {
            return new JsonLoss(
                string.Join(".", path),
                $"'{display}' is a value tuple; System.Text.Json writes a tuple's items only with IncludeFields, so it would be stored as {{}}",
                $"use a record with properties instead, for example 'public sealed record {SuggestedName(path)}({string.Join(", ", named.TupleElements.Select(e => SymbolHelpers.DisplayName(e.Type) + " " + Capitalized(e.Name)))})'");
        }

        foreach (var argument in named.TypeArguments)
        {
            if (Visit(argument, path, seen) is { } inArgument)
            {
                return inArgument;
            }
        }

        // Framework types (DateTime, Guid, List<T>...) have converters; only their type arguments can hide a loss.
        var ns = named.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal) || ns.StartsWith("Microsoft.", System.StringComparison.Ordinal))
        {
            return null;
        }

        for (var current = named; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || member.DeclaredAccessibility != Accessibility.Public || HasJsonAttribute(member, "JsonIgnoreAttribute"))
                {
                    continue;
                }

                if (member is IFieldSymbol field && !HasJsonAttribute(field, "JsonIncludeAttribute"))
                {
                    return new JsonLoss(
                        string.Join(".", path.Concat(new[] { field.Name })),
                        $"'{field.Name}' of '{SymbolHelpers.DisplayName(current)}' is a public field, which System.Text.Json skips unless IncludeFields is set, so its value would not be stored",
                        $"make it a property ('public {SymbolHelpers.DisplayName(field.Type)} {field.Name} {{ get; set; }}'), or mark it [JsonInclude] and name a JsonSerializerContext that covers the type");
                }

                if (member is IPropertySymbol { IsIndexer: false } property)
                {
                    path.Add(property.Name);
                    var inProperty = Visit(property.Type, path, seen);
                    path.RemoveAt(path.Count - 1);
                    if (inProperty is not null)
                    {
                        return inProperty;
                    }
                }
            }
        }

        return null;
    }

    private static bool HasJsonAttribute(ISymbol member, string name)
        => member.GetAttributes().Any(a => a.AttributeClass?.Name == name && a.AttributeClass.ContainingNamespace?.ToDisplayString() == JsonNamespace);

    private static string SuggestedName(List<string> path)
    {
        var last = path[path.Count - 1];
        var name = path.Count > 1 && SymbolHelpers.IsValidMemberName(last) ? Capitalized(last) : "Pair";
        return name;
    }

    private static string Capitalized(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
}
