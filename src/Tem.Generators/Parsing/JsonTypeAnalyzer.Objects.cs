using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>Plain classes, records and structs: the constructor to call and the properties to read and write.</summary>
internal static partial class JsonTypeAnalyzer
{
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
}
