using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Tem.Generators.Tests;

/// <summary>
/// Breaks valid C# in the ways an editor does while someone types: tokens deleted, duplicated, swapped or
/// replaced, files cut off, braces lost, types and attribute arguments changed, declarations made generic,
/// nested, partial, static or duplicated. Every choice comes from the given <see cref="Random"/>, so a seed
/// reproduces the same mutant.
/// </summary>
internal sealed class SourceMutator(Random random)
{
    // Tokens that are valid somewhere, so pasting them anywhere makes near-miss code rather than noise.
    private static readonly string[] TokenPool =
    [
        "null", "static", "partial", "async", "await", "ref", "out", "in", "params", "this", "void", "abstract", "virtual",
        "override", "private", "protected", "internal", "public", "file", "unsafe", "extern", "sealed", "readonly", "required",
        "new", "default", "global", "dynamic", "var", "class", "struct", "record", "interface", "enum", "delegate", "where",
        "*", "?", "!", "<", ">", "[", "]", "{", "}", "(", ")", ";", ",", "=", "=>", ".", "::", "@", "\"", "'", "#", "$", "..",
        "0", "-1", "\"x\"", "__arglist", "TemHandler", "TaskContext", "CancellationToken", "Task", "ValueTask",
    ];

    // Wrong, odd or unresolvable types for return types, parameters, properties, typeof and type arguments.
    private static readonly string[] TypePool =
    [
        "int", "string", "void", "object", "dynamic", "Task", "ValueTask", "Task<int>", "ValueTask<string?>", "Task<Task<int>>",
        "Task<void>", "CancellationToken", "TaskContext", "Tem.TaskContext", "System.Threading.CancellationToken", "Missing",
        "Missing<int>", "Task<Missing>", "ValueTask<Missing[]>", "int*", "delegate*<int, void>", "Task<delegate*<void>>", "Span<int>",
        "ReadOnlySpan<char>", "ValueTask<Span<byte>>", "(int, string)", "Task<(int A, string B)>", "int[]", "string[]", "int[,]",
        "string[][]", "List<Missing>", "System.Collections.Generic.List<int>", "System.Collections.Generic.Dictionary<int, string>",
        "System.Collections.Generic.Dictionary<string, object>", "System.Collections.Generic.IEnumerable<int>", "int?", "System.Guid?",
        "T", "Task<T>", "global::System.Threading.Tasks.Task", "global::System.Threading.Tasks.ValueTask<global::System.Guid>",
        "nint", "System.Action", "System.Func<int>", "System.Type", "System.Text.Json.JsonElement", "object[]", "Task<object>",
        "Task<dynamic>", "System.IO.Stream", "System.Exception", "System.Attribute", "Tem.TemHandlerAttribute", "TemJsonContext",
        "System.Text.Json.Serialization.JsonSerializerContext", "System.Threading.Tasks.Task<System.Threading.Tasks.Task>",
        "System.Collections.Generic.List<>", "Task<,>", "var", "ref int", "scoped System.Span<int>",
    ];

    // Attribute arguments that are not a valid task type name, not constant, or not even the right type.
    private static readonly string[] ArgumentPool =
    [
        "null", "42", "-1", "0", "int.MaxValue", "int.MinValue", "long.MaxValue", "1.5", "1u", "(short)3", "(int)1L", "true", "'c'",
        "\"\"", "\" \"", "\"has space\"", "\"x\" + \"y\"", "\"a\" + 1", "nameof(Handlers)", "nameof(TemHandler)", "typeof(int)",
        "typeof(System.Collections.Generic.List<>)", "typeof(Missing)", "typeof(void)", "typeof(int*)", "typeof(App.AppJsonContext)",
        "typeof(Shop.ShopJson)", "typeof(string)", "typeof(Tem.TaskContext)", "default", "default(string)", "new object()",
        "(string)null", "(string?)null!", "$\"interp\"", "$\"{1}\"", "\"" + new string('a', 101) + "\"", "\"émoji\"", "\"-x\"",
        "Missing.Value", "MaxAttempts", "\"rewrite\"", "\"notify\"", "\"order.ship\"", "new[] { 1 }", "new string[0]", "@\"verbatim\"",
        "\"\"\"raw\"\"\"", "\"\\u0000\"", "\"a\\\"b\"", "checked(int.MaxValue + 1)", "x => x", "1 / 0", "throw null", "__arglist()",
        "Tem.TemHandlerAttribute.Missing", "System.DateTime.Now", "\"a\" \"b\"", "typeof(App.StringsContext)", "System.TimeSpan.Zero",
    ];

    // Values for the int options (MaxAttempts, TimeoutSeconds, Priority): limits, signs, and not-quite-ints.
    private static readonly string[] OptionValuePool =
    [
        "-1", "-2", "int.MinValue", "-int.MaxValue", "0", "1", "3", "int.MaxValue", "100_000", "0x7FFFFFFF", "2 * 3", "sizeof(int)",
        "\"3\"", "null", "1.5", "(int)1L", "1u", "long.MaxValue", "(short)-3", "'c'", "true", "default", "default(int)",
        "checked(int.MaxValue + 1)", "unchecked(int.MaxValue + 1)", "Missing.Value", "MaxAttempts", "(int)System.DayOfWeek.Friday",
    ];

    private static readonly string[] ArgumentNames = ["MaxAttempts", "TimeoutSeconds", "Priority", "TaskType", "Unknown", "taskType", "contextType"];

    private static readonly string[] ModifierPool =
    [
        "static", "partial", "abstract", "sealed", "private", "protected", "internal", "public", "file", "readonly", "unsafe",
        "extern", "new", "virtual", "override", "async", "ref", "private protected", "protected internal", "required", "const",
    ];

    private static readonly string[] ParameterPool =
    [
        "int retries", "TaskContext context", "CancellationToken cancellationToken", "Tem.TaskContext c2", "ref int r", "out int o",
        "in int i", "params int[] rest", "this string self", "int x = 1", "string? s = null", "__arglist", "Missing m",
        "System.Span<int> span", "int* pointer", "ref TaskContext context", "ref readonly TaskContext context", "dynamic d",
        "scoped System.ReadOnlySpan<char> chars", "[TemHandler(\"param\")] int tagged", "object payload", "",
    ];

    // Whole attributes that add handlers or contexts where the seed had none, often on the wrong target.
    private static readonly string[] AttributePool =
    [
        "[TemHandler(\"extra\")]", "[TemHandler(\"rewrite\")]", "[Tem.TemHandler(\"x\", MaxAttempts = -2, Priority = int.MinValue)]",
        "[TemHandler]", "[TemHandler()]", "[TemHandler(\"a\", \"b\")]", "[TemHandler(null)]", "[TemHandler(\"dup\"), TemHandler(\"dup\")]",
        "[TemHandlerAttribute(\"long-name\")]", "[global::Tem.TemHandler(\"global\")]", "[TemHandler(\"t\", TimeoutSeconds = 0)]",
        "[System.Text.Json.Serialization.JsonSerializable(typeof(int))]", "[System.Text.Json.Serialization.JsonConverter(typeof(object))]",
        "[System.Text.Json.Serialization.JsonPropertyName(null)]", "[System.Text.Json.Serialization.JsonIgnore(Condition = (System.Text.Json.Serialization.JsonIgnoreCondition)42)]",
        "[System.Text.Json.Serialization.JsonConstructor]", "[System.Text.Json.Serialization.JsonPolymorphic]", "[System.Obsolete]",
        "[return: TemHandler(\"return\")]", "[method: TemHandler(\"method\")]", "[type: TemHandler(\"type\")]",
    ];

    private static readonly string[] AssemblyAttributePool =
    [
        "[assembly: TemJsonContext(typeof(int))]", "[assembly: TemJsonContext(null)]", "[assembly: TemJsonContext(typeof(Missing))]",
        "[assembly: Tem.TemJsonContext(typeof(System.Collections.Generic.List<>))]", "[assembly: TemJsonContext]",
        "[assembly: TemJsonContext(typeof(App.AppJsonContext)), TemJsonContext(typeof(App.AppJsonContext))]",
        "[assembly: TemJsonContext(typeof(System.Text.Json.Serialization.JsonSerializerContext))]", "[assembly: TemHandler(\"assembly\")]",
        "[assembly: TemJsonContext(\"App.AppJsonContext\")]", "[module: TemJsonContext(typeof(Shop.ShopJson))]",
    ];

    private static readonly string[] TypeKeywordPool = ["class", "struct", "interface", "record", "record struct", "record class", "enum", "static class", "abstract class", "partial class"];

    private static readonly string[] WrapperPool =
    [
        "public static partial class Outer", "internal class Outer<T>", "file class Outer", "public class Outer<T> where T : struct",
        "private class Outer", "namespace Inner", "public partial struct Outer", "public interface IOuter", "public record Outer(int X)",
        "public static class Outer",
    ];

    private static readonly string[] TypeParameterPool = ["<T>", "<T, U>", "<T> where T : class", "<in T>", "<>", "<int>", "<T> where T : new()"];

    // Share of picks aimed at Tem's own attributes and at [TemHandler] methods when the file still has some: the
    // rest of the file matters less, and uniform picks would rarely reach a handler's options or signature.
    private const double Focus = 0.7;

    /// <summary>Applies 1 to 3 mutations; <paramref name="log"/> gets one line per mutation so a failure can say what was done.</summary>
    public string Mutate(string source, List<string> log)
    {
        var operators = Operators();
        var totalWeight = operators.Sum(o => o.Weight);
        var count = random.Next(1, 4);
        for (int applied = 0, attempts = 0; applied < count && attempts < 100; attempts++)
        {
            var root = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions).GetRoot();
            var roll = random.Next(totalWeight);
            var (name, _, apply) = operators.First(o => (roll -= o.Weight) < 0);
            if (apply(root, source) is not { } change)
            {
                continue;
            }

            log.Add($"{name} at {change.Span}: '{Shorten(source.Substring(change.Span.Start, change.Span.Length))}' -> '{Shorten(change.NewText ?? "")}'");
            source = SourceText.From(source).WithChanges(change).ToString();
            applied++;
        }

        return source;
    }

    // Token-level damage keeps about a fifth of the weight: it mostly yields syntax errors, which the generator
    // meets less deeply than well-formed code with the wrong types, options or shapes.
    private (string Name, int Weight, Func<SyntaxNode, string, TextChange?> Apply)[] Operators() =>
    [
        ("delete token", 3, (root, _) => Pick(Tokens(root)) is { } t ? new TextChange(t.Span, "") : null),
        ("duplicate token", 2, (root, _) => Pick(Tokens(root)) is { } t ? new TextChange(new TextSpan(t.Span.End, 0), " " + t.Text) : null),
        ("swap adjacent tokens", 2, SwapAdjacentTokens),
        ("replace token", 2, (root, _) => Pick(Tokens(root)) is { } t ? new TextChange(t.Span, Pick(TokenPool)) : null),
        ("insert token", 2, (root, _) => Pick(Tokens(root)) is { } t ? new TextChange(new TextSpan(t.Span.Start, 0), Pick(TokenPool) + " ") : null),
        ("remove brace", 2, (root, _) => Pick(Tokens(root).Where(IsBrace).ToList()) is { } t ? new TextChange(t.Span, "") : null),
        ("truncate", 2, (root, source) => Pick(Tokens(root)) is { } t ? new TextChange(TextSpan.FromBounds(t.Span.End, source.Length), "") : null),
        ("replace type", 6, (root, _) => PickFocused(ReplaceableTypes(root), InHandlerSignature) is { } type ? new TextChange(type.Span, Pick(TypePool)) : null),
        ("swap type with another in the file", 3, SwapTypes),
        ("replace attribute argument", 6, ReplaceAttributeArgument),
        ("rename attribute argument", 2, RenameAttributeArgument),
        ("add attribute argument", 5, AddAttributeArgument),
        ("remove attribute argument", 2, (root, _) => PickFocused(AttributeArguments(root), a => IsTemAttribute(a.Parent?.Parent)) is { } arg ? new TextChange(arg.Span, "") : null),
        ("add attribute", 3, (root, _) => PickFocused(root.DescendantNodes().Where(n => n is MemberDeclarationSyntax or ParameterSyntax or LocalFunctionStatementSyntax).ToList(), IsInHandler) is { } n
            ? new TextChange(new TextSpan(n.SpanStart, 0), Pick(AttributePool) + " ")
            : null),
        ("add assembly attribute", 2, (root, _) => root is CompilationUnitSyntax unit
            ? new TextChange(new TextSpan(unit.Usings.Count > 0 ? unit.Usings[^1].Span.End : 0, 0), "\n" + Pick(AssemblyAttributePool) + "\n")
            : null),
        ("remove attribute list", 1, (root, _) => Pick(root.DescendantNodes().OfType<AttributeListSyntax>().ToList()) is { } list ? new TextChange(list.Span, "") : null),
        ("add modifier", 4, (root, _) => PickFocused(root.DescendantNodes().OfType<MemberDeclarationSyntax>().ToList(), IsHandlerOrContainer) is { } m
            ? new TextChange(new TextSpan(m.Modifiers.Count > 0 ? m.Modifiers[0].SpanStart : KeywordStart(m), 0), Pick(ModifierPool) + " ")
            : null),
        ("remove modifier", 3, (root, _) => PickFocused(root.DescendantNodes().OfType<MemberDeclarationSyntax>().SelectMany(m => m.Modifiers).ToList(), t => IsHandlerOrContainer(t.Parent)) is { } token
            ? new TextChange(token.Span, "")
            : null),
        ("change type keyword", 2, (root, _) => PickFocused(root.DescendantNodes().OfType<TypeDeclarationSyntax>().ToList(), IsHandlerOrContainer) is { } t
            ? new TextChange(t is RecordDeclarationSyntax r && r.ClassOrStructKeyword != default ? TextSpan.FromBounds(r.Keyword.SpanStart, r.ClassOrStructKeyword.Span.End) : t.Keyword.Span, Pick(TypeKeywordPool))
            : null),
        ("make generic", 3, MakeGeneric),
        ("wrap type", 3, WrapType),
        ("duplicate member", 2, (root, _) => PickFocused(root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is not BaseNamespaceDeclarationSyntax).ToList(), IsHandlerOrContainer) is { } m
            ? new TextChange(new TextSpan(m.Span.End, 0), "\n" + m.ToString())
            : null),
        ("change parameters", 5, ChangeParameters),
        ("drop method body", 1, (root, _) => PickFocused(root.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Body is not null || m.ExpressionBody is not null).ToList(), IsInHandler) is { } m
            ? new TextChange(TextSpan.FromBounds(m.ParameterList.Span.End, m.Span.End), Pick(["", ";", " { }", " => default;", " => throw null;", " { return null; }"]))
            : null),
        ("turn method into local function", 1, TurnIntoLocalFunction),
    ];

    private TextChange? SwapAdjacentTokens(SyntaxNode root, string source)
    {
        var tokens = Tokens(root);
        if (tokens.Count < 2)
        {
            return null;
        }

        var i = random.Next(tokens.Count - 1);
        var (a, b) = (tokens[i], tokens[i + 1]);
        var between = source[a.Span.End..b.SpanStart];
        return new TextChange(TextSpan.FromBounds(a.SpanStart, b.Span.End), b.Text + between + a.Text);
    }

    private TextChange? SwapTypes(SyntaxNode root, string source)
    {
        var types = ReplaceableTypes(root);
        var names = root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Text).Distinct().ToList();
        return PickFocused(types, InHandlerSignature) is { } type && Pick(names) is { } name ? new TextChange(type.Span, name) : null;
    }

    private TextChange? ReplaceAttributeArgument(SyntaxNode root, string source)
    {
        if (PickFocused(AttributeArguments(root), a => IsTemAttribute(a.Parent?.Parent)) is not { } arg)
        {
            return null;
        }

        var pool = arg.NameEquals is not null && random.NextDouble() < Focus ? OptionValuePool : ArgumentPool;
        return new TextChange(arg.Expression.Span, Pick(pool));
    }

    private TextChange? RenameAttributeArgument(SyntaxNode root, string source)
    {
        var named = AttributeArguments(root).Where(a => a.NameEquals is not null || a.NameColon is not null).ToList();
        if (PickFocused(named, a => IsTemAttribute(a.Parent?.Parent)) is not { } arg)
        {
            return null;
        }

        var span = arg.NameEquals?.Name.Span ?? arg.NameColon!.Name.Span;
        return new TextChange(span, Pick(ArgumentNames));
    }

    private TextChange? AddAttributeArgument(SyntaxNode root, string source)
    {
        if (PickFocused(root.DescendantNodes().OfType<AttributeSyntax>().ToList(), IsTemAttribute) is not { } attribute)
        {
            return null;
        }

        var arguments = attribute.ArgumentList?.Arguments.Select(a => a.ToString()).ToList() ?? [];
        arguments.Add(random.NextDouble() < Focus
            ? $"{Pick(ArgumentNames)} = {Pick(OptionValuePool)}"
            : Pick(ArgumentPool));
        var span = attribute.ArgumentList?.Span ?? new TextSpan(attribute.Name.Span.End, 0);
        return new TextChange(span, "(" + string.Join(", ", arguments) + ")");
    }

    private TextChange? MakeGeneric(SyntaxNode root, string source)
    {
        var targets = root.DescendantNodes()
            .Where(n => n is MethodDeclarationSyntax { TypeParameterList: null } or TypeDeclarationSyntax { TypeParameterList: null })
            .ToList();
        if (PickFocused(targets, IsHandlerOrContainer) is not { } target)
        {
            return null;
        }

        var identifier = target is MethodDeclarationSyntax method ? method.Identifier : ((TypeDeclarationSyntax)target).Identifier;
        return new TextChange(new TextSpan(identifier.Span.End, 0), Pick(TypeParameterPool));
    }

    private TextChange? WrapType(SyntaxNode root, string source)
    {
        if (PickFocused(root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().ToList(), IsHandlerOrContainer) is not { } type)
        {
            return null;
        }

        var wrapper = Pick(WrapperPool);
        return new TextChange(type.FullSpan, $"\n{wrapper}\n{{\n{type.ToFullString()}\n}}\n");
    }

    private TextChange? ChangeParameters(SyntaxNode root, string source)
    {
        if (PickFocused(root.DescendantNodes().OfType<ParameterListSyntax>().ToList(), IsInHandler) is not { } list)
        {
            return null;
        }

        var parameters = list.Parameters.Select(p => p.ToString()).ToList();
        switch (random.Next(4))
        {
            case 0 when parameters.Count > 0:
                parameters.RemoveAt(random.Next(parameters.Count));
                break;
            case 1 when parameters.Count > 1:
                var i = random.Next(parameters.Count);
                var j = random.Next(parameters.Count);
                (parameters[i], parameters[j]) = (parameters[j], parameters[i]);
                break;
            default:
                parameters.Insert(random.Next(parameters.Count + 1), Pick(ParameterPool));
                break;
        }

        return new TextChange(list.Span, "(" + string.Join(", ", parameters) + ")");
    }

    private TextChange? TurnIntoLocalFunction(SyntaxNode root, string source)
    {
        if (PickFocused(root.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Body is not null || m.ExpressionBody is not null).ToList(), IsInHandler) is not { } method)
        {
            return null;
        }

        // The handler, attributes and all, moves into the body of a new method of the same class.
        var local = method.WithModifiers(SyntaxFactory.TokenList(method.Modifiers.Where(m => m.IsKind(SyntaxKind.StaticKeyword) || m.IsKind(SyntaxKind.AsyncKeyword))));
        return new TextChange(method.Span, $"public static void Host{random.Next(100)}() {{ {local} }}");
    }

    private static int KeywordStart(MemberDeclarationSyntax member) => member switch
    {
        TypeDeclarationSyntax t => t.Keyword.SpanStart,
        EnumDeclarationSyntax e => e.EnumKeyword.SpanStart,
        _ => member.ChildNodesAndTokens().FirstOrDefault(n => !n.IsKind(SyntaxKind.AttributeList)).SpanStart,
    };

    private static List<SyntaxToken> Tokens(SyntaxNode root) => [.. root.DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken) && t.Span.Length > 0)];

    /// <summary>Whole types where a type is expected (not the parts of a qualified, array or nullable type).</summary>
    private static List<TypeSyntax> ReplaceableTypes(SyntaxNode root)
        => [.. root.DescendantNodes().OfType<TypeSyntax>().Where(t => t.Parent is not TypeSyntax and not QualifiedNameSyntax && IsTypePosition(t))];

    private static List<AttributeArgumentSyntax> AttributeArguments(SyntaxNode root) => [.. root.DescendantNodes().OfType<AttributeArgumentSyntax>()];

    private static bool IsTemAttribute(SyntaxNode? node)
        => node is AttributeSyntax attribute && attribute.Name.ToString() is var name
            && (name.Contains("TemHandler", StringComparison.Ordinal) || name.Contains("TemJsonContext", StringComparison.Ordinal));

    private static bool IsHandler(SyntaxNode node)
        => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax
            && node.ChildNodes().OfType<AttributeListSyntax>().SelectMany(l => l.Attributes).Any(IsTemAttribute);

    private static bool IsInHandler(SyntaxNode? node) => node is not null && node.AncestorsAndSelf().Any(IsHandler);

    /// <summary>A handler, or a type that declares one (directly or in a nested type).</summary>
    private static bool IsHandlerOrContainer(SyntaxNode? node) => node is not null && (IsHandler(node) || (node is BaseTypeDeclarationSyntax && node.DescendantNodes().Any(IsHandler)));

    /// <summary>A type in a handler's return type or parameters, where the generator looks hardest.</summary>
    private static bool InHandlerSignature(TypeSyntax type)
        => type.Ancestors().FirstOrDefault(a => a is BlockSyntax or ArrowExpressionClauseSyntax or MethodDeclarationSyntax or LocalFunctionStatementSyntax) is { } owner && IsHandler(owner);

    private static bool IsTypePosition(TypeSyntax type) => type.Parent switch
    {
        MethodDeclarationSyntax m => m.ReturnType == type,
        ParameterSyntax => true,
        PropertyDeclarationSyntax p => p.Type == type,
        TypeOfExpressionSyntax => true,
        TypeArgumentListSyntax => true,
        VariableDeclarationSyntax => true,
        SimpleBaseTypeSyntax => true,
        LocalFunctionStatementSyntax l => l.ReturnType == type,
        _ => false,
    };

    private static bool IsBrace(SyntaxToken token) => token.Kind() is SyntaxKind.OpenBraceToken or SyntaxKind.CloseBraceToken
        or SyntaxKind.OpenParenToken or SyntaxKind.CloseParenToken or SyntaxKind.OpenBracketToken or SyntaxKind.CloseBracketToken
        or SyntaxKind.LessThanToken or SyntaxKind.GreaterThanToken;

    private static string Shorten(string text) => text.Length <= 60 ? text.Replace("\n", "\\n", StringComparison.Ordinal) : text[..57].Replace("\n", "\\n", StringComparison.Ordinal) + "...";

    private T? Pick<T>(IReadOnlyList<T> items)
        where T : class
        => items.Count == 0 ? null : items[random.Next(items.Count)];

    private SyntaxToken? Pick(List<SyntaxToken> tokens) => tokens.Count == 0 ? null : tokens[random.Next(tokens.Count)];

    /// <summary>Usually one of the items <paramref name="focus"/> accepts, sometimes any, so the whole file stays in play.</summary>
    private T? PickFocused<T>(List<T> items, Func<T, bool> focus)
        where T : class
    {
        var focused = items.Where(focus).ToList();
        return focused.Count > 0 && random.NextDouble() < Focus ? Pick(focused) : Pick(items);
    }

    private SyntaxToken? PickFocused(List<SyntaxToken> tokens, Func<SyntaxToken, bool> focus)
    {
        var focused = tokens.Where(focus).ToList();
        return focused.Count > 0 && random.NextDouble() < Focus ? Pick(focused) : Pick(tokens);
    }

    private string Pick(string[] items) => items[random.Next(items.Length)];
}
