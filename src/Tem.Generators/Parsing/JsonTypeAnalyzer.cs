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
internal static class JsonTypeAnalyzer
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

    private static JsonTypeModel? BuildObject(INamedTypeSymbol type, string name, Func<ITypeSymbol, bool> need, JsonRefusalTracker blame)
    {
        var display = SymbolHelpers.DisplayName(type);
        if (type.IsAbstract || type.IsStatic || type.IsFileLocal)
        {
            // An abstract type without [JsonPolymorphic] (refused earlier, where a context helps) cannot be created by
            // System.Text.Json either: a context would compile and then fail every read.
            return type.IsAbstract && !type.IsStatic
                ? blame.Refuse($"type '{display}' is abstract, so no serializer can create one; make it concrete, or add [JsonPolymorphic] and a [JsonDerivedType] for each derived type and name a JsonSerializerContext that covers it", contextCanHelp: false)
                : blame.Refuse($"type '{display}' is {(type.IsFileLocal ? "file-local" : "static")}");
        }

        // System.Text.Json lists the most derived type's properties first, then each base type's.
        var hierarchy = new List<INamedTypeSymbol>();
        for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            if (current.IsGenericType || (!SymbolEqualityComparer.Default.Equals(current, type) && (HasRefusedAttribute(current.GetAttributes(), RefusedTypeAttributes) || !IsAccessible(current))))
            {
                return blame.Refuse($"type '{SymbolHelpers.DisplayName(current)}' in the hierarchy of '{display}' is generic, inaccessible or has a JSON attribute Tem does not emulate");
            }

            hierarchy.Add(current);
        }

        var properties = new List<(JsonPropertyModel Model, IPropertySymbol Symbol)>();
        foreach (var member in hierarchy.SelectMany(t => t.GetMembers()))
        {
            if (member.IsStatic)
            {
                continue;
            }

            if (member is IFieldSymbol field)
            {
                if (field.IsImplicitlyDeclared)
                {
                    continue;
                }

                // Fields are skipped by default; any JSON attribute on one means a shape Tem does not emulate.
                if (field.GetAttributes().Any(a => a.AttributeClass?.ContainingNamespace?.ToDisplayString() == JsonNamespace))
                {
                    return blame.Refuse($"field '{field.Name}' of '{display}' has a JSON attribute");
                }

                continue;
            }

            if (member is not IPropertySymbol property || property.IsIndexer)
            {
                continue;
            }

            var attributes = property.GetAttributes();
            if (RefusedAttribute(attributes, RefusedMemberAttributes) is { } memberAttribute)
            {
                return blame.Refuse($"property '{property.Name}' of '{display}' has [{memberAttribute}]");
            }

            if (property.DeclaredAccessibility != Accessibility.Public || property.GetMethod is null || property.GetMethod.DeclaredAccessibility != Accessibility.Public)
            {
                // Non-public properties are skipped unless [JsonInclude] (refused above); a public property with a
                // non-public getter would be write-only: refuse rather than guess.
                if (property.DeclaredAccessibility == Accessibility.Public)
                {
                    return blame.Refuse($"property '{property.Name}' of '{display}' has a non-public getter");
                }

                continue;
            }

            if (property.IsOverride || property.IsVirtual || property.IsAbstract)
            {
                return blame.Refuse($"property '{property.Name}' of '{display}' is virtual, abstract or an override");
            }

            string? jsonName = null;
            string? ignore = null;
            var required = property.IsRequired;
            foreach (var attribute in attributes)
            {
                if (attribute.AttributeClass?.ContainingNamespace?.ToDisplayString() != JsonNamespace)
                {
                    continue;
                }

                switch (attribute.AttributeClass.Name)
                {
                    case "JsonPropertyNameAttribute" when attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string n:
                        jsonName = n;
                        break;
                    case "JsonIgnoreAttribute":
                        ignore = "Always";
                        foreach (var arg in attribute.NamedArguments)
                        {
                            if (arg.Key == "Condition" && arg.Value.Value is int condition)
                            {
                                ignore = condition switch { 0 => "Never", 1 => "Always", 2 => "WhenWritingDefault", 3 => "WhenWritingNull", _ => "?" };
                            }
                        }

                        if (ignore == "?")
                        {
                            return blame.Refuse($"property '{property.Name}' of '{display}' has a [JsonIgnore] condition Tem does not know");
                        }

                        break;
                    case "JsonRequiredAttribute":
                        required = true;
                        break;
                    default:
                        return blame.Refuse($"property '{property.Name}' of '{display}' has [{attribute.AttributeClass.Name}]");
                }
            }

            if (ignore == "Always")
            {
                continue;
            }

            // A positional record parameter whose name is still being typed gives a property named "".
            if (!SymbolHelpers.IsValidMemberName(property.Name))
            {
                return null;
            }

            blame.Enter(property.Name);
            var described = need(property.Type);
            blame.Leave();
            if (!described)
            {
                return null;
            }

            var setter = property.SetMethod is null || property.SetMethod.DeclaredAccessibility != Accessibility.Public
                ? SetterKind.None
                : property.SetMethod.IsInitOnly ? SetterKind.Init : SetterKind.Set;
            if (property.SetMethod is not null && property.SetMethod.DeclaredAccessibility != Accessibility.Public && property.IsRequired)
            {
                return blame.Refuse($"required property '{property.Name}' of '{display}' has a non-public setter");
            }

            if (properties.Any(p => p.Model.Name == property.Name))
            {
                // A property hiding a base one ('new'): System.Text.Json's rules for that are not emulated.
                return blame.Refuse($"property '{property.Name}' of '{display}' hides a base property");
            }

            properties.Add((new JsonPropertyModel(property.Name, jsonName, SymbolHelpers.FullName(property.Type), setter, ignore, required, SymbolHelpers.FullName(property.ContainingType), type.IsValueType), property));
        }

        // Constructor: [JsonConstructor] is refused; a public parameterless one wins; else the only public one.
        var constructors = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        if (type.InstanceConstructors.Any(c => c.GetAttributes().Any(a => a.AttributeClass?.Name == "JsonConstructorAttribute")))
        {
            return blame.Refuse($"type '{display}' has a [JsonConstructor]");
        }

        var constructor = constructors.FirstOrDefault(c => c.Parameters.Length == 0) ?? (constructors.Count == 1 ? constructors[0] : null);
        if (constructor is null)
        {
            // System.Text.Json's generator compiles such a type but cannot deserialize it: a context is no fix.
            return blame.Refuse(
                $"type '{display}' has {(constructors.Count == 0 ? "no public constructor" : "several public constructors and no parameterless one")}; " +
                "give it a public parameterless constructor, or exactly one public constructor, or mark one [JsonConstructor] and name a JsonSerializerContext that covers it",
                contextCanHelp: false);
        }

        var parameters = new List<JsonParameterModel>();
        var bound = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in constructor.Parameters)
        {
            var match = properties.FirstOrDefault(p => string.Equals(p.Model.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
            if (match.Model is null || !SymbolEqualityComparer.Default.Equals(match.Symbol.Type, parameter.Type) || parameter.RefKind != RefKind.None)
            {
                // System.Text.Json's generator compiles this too, and then every read fails at run time.
                return blame.Refuse(
                    $"constructor parameter '{parameter.Name}' of '{display}' matches no public property of the same name (ignoring case) and type, " +
                    "so System.Text.Json cannot deserialize it, with or without a JsonSerializerContext; rename the parameter or the property so they match",
                    contextCanHelp: false);
            }

            string? defaultValue = null;
            if (parameter.HasExplicitDefaultValue)
            {
                defaultValue = DefaultLiteral(parameter);
                if (defaultValue is null)
                {
                    return blame.Refuse($"constructor parameter '{parameter.Name}' of '{display}' has a default value Tem does not copy");
                }
            }

            bound.Add(parameter.Name);
            parameters.Add(new JsonParameterModel(parameter.Name, SymbolHelpers.FullName(parameter.Type), false, parameter.HasExplicitDefaultValue, defaultValue, IsNullable(parameter.Type)));
        }

        var memberInitializers = properties
            .Where(p => (p.Model.Setter == SetterKind.Init || p.Symbol.IsRequired) && !bound.Contains(p.Model.Name))
            .Select(p => new JsonParameterModel(p.Model.Name, p.Model.Type, true, false, null, IsNullable(p.Symbol.Type)))
            .ToList();
        parameters.AddRange(memberInitializers);

        return new JsonTypeModel(
            name,
            type.Name,
            JsonKind.Object,
            null,
            null,
            null,
            parameters.Count == 0 ? $"() => new {name}()" : null,
            properties.Select(p => p.Model).ToEquatableArray(),
            parameters.ToEquatableArray(),
            constructor.Parameters.Length == 0);
    }

    private static bool IsNullable(ITypeSymbol type)
        => !type.IsValueType ? type.NullableAnnotation != NullableAnnotation.NotAnnotated : type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

    private static string? DefaultLiteral(IParameterSymbol parameter)
    {
        var value = parameter.ExplicitDefaultValue;
        if (value is null)
        {
            return parameter.Type.IsValueType && parameter.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T ? null : "null";
        }

        if (parameter.Type.TypeKind == TypeKind.Enum)
        {
            return null;
        }

        return value switch
        {
            string or bool or int or long or double or char => SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false) + (value is double ? "d" : value is long ? "L" : ""),
            _ => null,
        };
    }

    private static string MemberName(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => MemberName(array.ElementType) + "Array",
        INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n => "Nullable" + MemberName(n.TypeArguments[0]),
        INamedTypeSymbol { IsGenericType: true } n => n.Name + string.Concat(n.TypeArguments.Select(MemberName)),
        _ => type.Name,
    };

    private static bool IsAccessible(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.ContainingType)
        {
            if (t.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasRefusedAttribute(IEnumerable<AttributeData> attributes, HashSet<string> refused)
        => RefusedAttribute(attributes, refused) is not null;

    /// <summary>The name (without "Attribute") of the first System.Text.Json attribute Tem does not emulate, or null.</summary>
    private static string? RefusedAttribute(IEnumerable<AttributeData> attributes, HashSet<string> refused)
        => attributes
            .Select(a => a.AttributeClass)
            .FirstOrDefault(c => c is not null && c.ContainingNamespace?.ToDisplayString() == JsonNamespace && refused.Contains(c.Name))
            ?.Name is { } name ? name.Substring(0, name.Length - "Attribute".Length) : null;

    private static string? ValueConverter(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return "BooleanConverter";
            case SpecialType.System_Byte: return "ByteConverter";
            case SpecialType.System_SByte: return "SByteConverter";
            case SpecialType.System_Int16: return "Int16Converter";
            case SpecialType.System_Int32: return "Int32Converter";
            case SpecialType.System_Int64: return "Int64Converter";
            case SpecialType.System_UInt16: return "UInt16Converter";
            case SpecialType.System_UInt32: return "UInt32Converter";
            case SpecialType.System_UInt64: return "UInt64Converter";
            case SpecialType.System_Single: return "SingleConverter";
            case SpecialType.System_Double: return "DoubleConverter";
            case SpecialType.System_Decimal: return "DecimalConverter";
            case SpecialType.System_Char: return "CharConverter";
            case SpecialType.System_String: return "StringConverter";
            case SpecialType.System_DateTime: return "DateTimeConverter";
        }

        if (type is INamedTypeSymbol { ContainingType: null } named && named.ContainingNamespace?.ToDisplayString() == "System")
        {
            return named.MetadataName switch
            {
                "Guid" => "GuidConverter",
                "DateTimeOffset" => "DateTimeOffsetConverter",
                "TimeSpan" => "TimeSpanConverter",
                "DateOnly" => "DateOnlyConverter",
                "TimeOnly" => "TimeOnlyConverter",
                "Uri" => "UriConverter",
                "Version" => "VersionConverter",
                _ => null,
            };
        }

        return null;
    }

    internal static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
