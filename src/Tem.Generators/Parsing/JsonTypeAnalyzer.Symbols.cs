using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>Questions about symbols the analysis asks: nullability, defaults, accessibility, refused attributes, converters.</summary>
internal static partial class JsonTypeAnalyzer
{
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
