using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>
/// Decides whether Tem can describe a type itself (the common payload shapes) and, if so, collects the
/// metadata of the type and of every type it reaches. Anything unusual is refused, never guessed.
/// </summary>
internal static partial class JsonTypeAnalyzer
{
    private const string JsonNamespace = "System.Text.Json.Serialization";

    private static readonly HashSet<string> RefusedTypeAttributes = new(StringComparer.Ordinal)
    {
        "JsonConverterAttribute", "JsonPolymorphicAttribute", "JsonDerivedTypeAttribute", "JsonNumberHandlingAttribute",
        "JsonUnmappedMemberHandlingAttribute", "JsonObjectCreationHandlingAttribute", "JsonSerializableAttribute",
    };

    private static readonly HashSet<string> RefusedMemberAttributes = new(StringComparer.Ordinal)
    {
        "JsonConverterAttribute", "JsonIncludeAttribute", "JsonExtensionDataAttribute", "JsonNumberHandlingAttribute",
        "JsonPropertyOrderAttribute", "JsonObjectCreationHandlingAttribute",
    };

    /// <summary>The closure of <paramref name="type"/>, or why Tem cannot describe it.</summary>
    public static JsonDescription Describe(ITypeSymbol type, Compilation compilation)
    {
        var collected = new Dictionary<string, JsonTypeModel>(StringComparer.Ordinal);
        var order = new List<string>();
        var blame = new JsonRefusalTracker();
        blame.Enter(SymbolHelpers.DisplayName(type));
        try
        {
            if (!Visit(type, compilation, collected, order, new HashSet<string>(StringComparer.Ordinal), blame))
            {
                return new JsonDescription(null, blame.Refusal);
            }
        }
        catch (InvalidOperationException)
        {
            return new JsonDescription(null, blame.Refusal);
        }

        return new JsonDescription(new JsonClosure(SymbolHelpers.FullName(type), order.Select(n => collected[n]).ToEquatableArray()), null);
    }

    private static bool Visit(ITypeSymbol type, Compilation compilation, Dictionary<string, JsonTypeModel> collected, List<string> order, HashSet<string> inProgress, JsonRefusalTracker blame)
    {
        var name = SymbolHelpers.FullName(type);
        if (collected.ContainsKey(name) || inProgress.Contains(name))
        {
            return true;
        }

        if (order.Count > 200 || SymbolHelpers.ContainsErrors(type) || !SymbolHelpers.IsWellFormed(name))
        {
            return false;
        }

        inProgress.Add(name);
        var model = Build(type, name, compilation, collected, order, inProgress, blame);
        inProgress.Remove(name);
        if (model is null)
        {
            blame.Refuse($"type '{SymbolHelpers.DisplayName(type)}' is not a shape Tem describes");
            return false;
        }

        collected[name] = model;
        order.Add(name);
        return true;
    }

    private static JsonTypeModel? Build(ITypeSymbol type, string name, Compilation compilation, Dictionary<string, JsonTypeModel> collected, List<string> order, HashSet<string> inProgress, JsonRefusalTracker blame)
    {
        bool Need(ITypeSymbol t) => Visit(t, compilation, collected, order, inProgress, blame);
        var display = SymbolHelpers.DisplayName(type);
        JsonTypeModel Simple(JsonKind kind, string member, string? converter = null, string? element = null, string? create = null, string? creator = null)
            => new(name, member, kind, converter, element, create, creator, EquatableArray<JsonPropertyModel>.Empty, EquatableArray<JsonParameterModel>.Empty, false);

        if (ValueConverter(type) is { } converter)
        {
            return Simple(JsonKind.Value, type.MetadataName, converter);
        }

        if (type is IArrayTypeSymbol array)
        {
            if (!array.IsSZArray)
            {
                return blame.Refuse($"'{display}' is a multi-dimensional array");
            }

            return Need(array.ElementType) ? Simple(JsonKind.Array, MemberName(array.ElementType) + "Array", element: SymbolHelpers.FullName(array.ElementType)) : null;
        }

        if (type is not INamedTypeSymbol named)
        {
            return blame.Refuse($"type '{display}' is not a class, struct, enum or collection");
        }

        if (!IsAccessible(named))
        {
            return blame.Refuse($"type '{display}' is private or protected");
        }

        if (RefusedAttribute(named.GetAttributes(), RefusedTypeAttributes) is { } typeAttribute)
        {
            return blame.Refuse($"type '{display}' has [{typeAttribute}]");
        }

        if (named.TypeKind == TypeKind.Enum)
        {
            return Simple(JsonKind.Enum, named.Name);
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            var underlying = named.TypeArguments[0];
            return Need(underlying) ? Simple(JsonKind.Nullable, "Nullable" + MemberName(underlying), element: SymbolHelpers.FullName(underlying)) : null;
        }

        if (named.IsGenericType)
        {
            return BuildGeneric(named, name, Need, Simple) ?? blame.Refuse($"generic type '{display}' is not one of the collections Tem describes (List, HashSet, Dictionary with string keys, and their interfaces)");
        }

        if (named.SpecialType == SpecialType.System_Object)
        {
            // System.Text.Json writes an object's runtime type, which only a context that knows those types can do.
            return blame.Refuse("type 'object' has no fixed shape");
        }

        return named.TypeKind is TypeKind.Class or TypeKind.Struct && !named.IsRefLikeType
            ? BuildObject(named, name, Need, blame)
            : blame.Refuse($"type '{display}' is {(named.TypeKind == TypeKind.Interface ? "an interface" : named.IsRefLikeType ? "a ref struct" : "a " + named.TypeKind.ToString().ToLowerInvariant())}");
    }

    private static JsonTypeModel? BuildGeneric(INamedTypeSymbol named, string name, Func<ITypeSymbol, bool> need, Func<JsonKind, string, string?, string?, string?, string?, JsonTypeModel> simple)
    {
        var ns = named.ContainingNamespace?.ToDisplayString();
        if (ns != "System.Collections.Generic" || named.ContainingType is not null)
        {
            return null;
        }

        var args = named.TypeArguments;
        var member = named.Name + string.Concat(args.Select(MemberName));
        switch (named.MetadataName)
        {
            case "List`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateListInfo", $"() => new {name}()") : null;
            case "IEnumerable`1":
            case "IReadOnlyList`1":
            case "IReadOnlyCollection`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateIEnumerableInfo", null) : null;
            case "IList`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateIListInfo", null) : null;
            case "ICollection`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateICollectionInfo", null) : null;
            case "ISet`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateISetInfo", null) : null;
            case "HashSet`1":
                return need(args[0]) ? simple(JsonKind.Collection, member, null, SymbolHelpers.FullName(args[0]), "CreateISetInfo", $"() => new {name}()") : null;
            case "Dictionary`2":
            case "IReadOnlyDictionary`2":
            case "IDictionary`2":
                if (args[0].SpecialType != SpecialType.System_String || !need(args[1]))
                {
                    return null;
                }

                return named.MetadataName switch
                {
                    "Dictionary`2" => simple(JsonKind.Dictionary, member, null, SymbolHelpers.FullName(args[1]), "CreateDictionaryInfo", $"() => new {name}()"),
                    "IReadOnlyDictionary`2" => simple(JsonKind.Dictionary, member, null, SymbolHelpers.FullName(args[1]), "CreateIReadOnlyDictionaryInfo", null),
                    _ => simple(JsonKind.Dictionary, member, null, SymbolHelpers.FullName(args[1]), "CreateIDictionaryInfo", null),
                };
            default:
                return null;
        }
    }
}
