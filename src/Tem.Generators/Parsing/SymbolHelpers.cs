using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

internal static class SymbolHelpers
{
    /// <summary><c>global::</c>-qualified, keywords escaped, no nullable reference annotations.</summary>
    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>Namespace-qualified without <c>global::</c>, for messages.</summary>
    public static readonly SymbolDisplayFormat Display = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    public static string FullName(ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    public static string DisplayName(ITypeSymbol type) => type.ToDisplayString(Display);

    public static TypeRef ToTypeRef(ITypeSymbol type) => new(FullName(type), DisplayName(type), IsEffectivelyPublic(type));

    public static bool IsEffectivelyPublic(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsEffectivelyPublic(array.ElementType);
            case INamedTypeSymbol named:
                for (ISymbol? current = named; current is INamedTypeSymbol t; current = t.ContainingType)
                {
                    if (t.DeclaredAccessibility != Accessibility.Public)
                    {
                        return false;
                    }
                }

                foreach (var argument in named.TypeArguments)
                {
                    if (!IsEffectivelyPublic(argument))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    public static bool Is(ITypeSymbol? type, string containingNamespace, string metadataName)
        => type is INamedTypeSymbol named
            && named.MetadataName == metadataName
            && named.ContainingType is null
            && named.ContainingNamespace?.ToDisplayString() == containingNamespace;

    /// <summary>
    /// Whether the type's fully qualified name is valid C#. Half-typed code gives symbols that are not error types
    /// yet have no valid name: a namespace whose name is missing (<c>global::.Handlers</c>) or the compiler's
    /// <c>&lt;invalid-global-code&gt;</c> class around a method outside any type. Generated code cannot name them.
    /// (<c>void</c> alone is not a type name to the parser, yet is a well-formed return type.)
    /// </summary>
    public static bool IsWellFormed(ITypeSymbol type) => type.SpecialType == SpecialType.System_Void || IsWellFormed(FullName(type));

    public static bool IsWellFormed(string fullyQualifiedName)
        => !SyntaxFactory.ParseTypeName(fullyQualifiedName).ContainsDiagnostics;

    /// <summary>Whether <paramref name="name"/> can follow a dot in generated code once escaped (a missing name is empty).</summary>
    public static bool IsValidMemberName(string name) => SyntaxFacts.IsValidIdentifier(name);

    public static bool ContainsErrors(ITypeSymbol type) => type switch
    {
        IErrorTypeSymbol => true,
        IArrayTypeSymbol array => ContainsErrors(array.ElementType),
        INamedTypeSymbol named => AnyError(named),
        _ => false,
    };

    private static bool AnyError(INamedTypeSymbol named)
    {
        foreach (var argument in named.TypeArguments)
        {
            if (ContainsErrors(argument))
            {
                return true;
            }
        }

        return false;
    }

    public static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => accessibility.ToString().ToLowerInvariant(),
    };
}
