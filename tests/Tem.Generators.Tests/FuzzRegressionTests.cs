using Microsoft.CodeAnalysis;

namespace Tem.Generators.Tests;

/// <summary>Defects the generator fuzz test found, each pinned by the smallest source that showed it.</summary>
public sealed class FuzzRegressionTests
{
    [Fact]
    public void HandlerNamedWithAKeyword_IsCalledThroughAnEscapedName()
    {
        // Valid code: the registration called Handlers.event(...), which does not parse.
        var result = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using Tem;

            namespace App;

            public sealed record P(string Text);

            public static class Handlers
            {
                [TemHandler("event")]
                public static Task @event(P payload) => Task.CompletedTask;
            }

            public sealed class Instances
            {
                [TemHandler("class")]
                public ValueTask<P> @class(P payload) => new(payload);
            }
            """);

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("global::App.Handlers.@event(payload)", result.Sources["TemHandlers.g.cs"], StringComparison.Ordinal);
        Assert.Contains("_instances!().@class(payload)", result.Sources["TemHandlers.g.cs"], StringComparison.Ordinal);
        Assert.Contains("handler.@class(payload)", result.Sources["TemHandlers.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void ObsoleteHandlersAndTypes_DoNotMakeTheGeneratedCodeWarn()
    {
        // Marking a handler [Obsolete] is the user's call; the registration Tem writes for it must not turn into a
        // warning the user cannot fix (and, with warnings as errors, a broken build).
        var result = GeneratorHarness.Run("""
            using System;
            using System.Threading.Tasks;
            using Tem;

            namespace App;

            [Obsolete("use Q")]
            public sealed record P(string Text);

            public sealed record Q([property: Obsolete] string Text, int Count);

            public static class Handlers
            {
                [Obsolete]
                [TemHandler("old")]
                public static Task Old(P payload) => Task.CompletedTask;

                [Obsolete("still works")]
                [TemHandler("new")]
                public static Task<Q> New(Q payload) => Task.FromResult(payload);
            }
            """);

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.DoesNotContain(result.CompilationProblems, d => d.Location.GetLineSpan().Path.EndsWith(".g.cs", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("public static Task Run(P payload, __arglist) => Task.CompletedTask;", "__arglist", "a variable argument list (__arglist) cannot be passed")]
    [InlineData("public static Task Run(ref readonly P payload) => Task.CompletedTask;", "payload", "the payload cannot be passed by ref, ref readonly or out")]
    public void ParametersGeneratedCodeCannotPass_AreReported(string method, string parameter, string reason)
    {
        // Valid C# whose registration would not compile (no __arglist to give) or would warn (ref readonly).
        var result = GeneratorHarness.Run($$"""
            using System.Threading.Tasks;
            using Tem;

            namespace App;

            public sealed record P(string Text);

            public static class Handlers
            {
                [TemHandler("run")]
                {{method}}
            }
            """);

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result));
        Assert.Equal("TEM005", diagnostic.Id);
        Assert.Equal(
            $"Parameter '{parameter}' of handler 'App.Handlers.Run' is not supported: {reason}; after the payload a handler may take one TaskContext and one CancellationToken, in any order",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(result.CompilationProblems, d => d.Location.GetLineSpan().Path.EndsWith(".g.cs", StringComparison.Ordinal));
    }

    [Theory]
    // A method outside any type lands in the compiler's <invalid-global-code> class.
    [InlineData("namespace App; public sealed record P(string Text); [TemHandler(\"x\")] public static Task Run(P payload) => Task.CompletedTask;")]
    // A namespace whose name is missing gives global::.Handlers.
    [InlineData("namespace { public sealed record P(string Text); public static class Handlers { [TemHandler(\"x\")] public static Task Run(P payload) => Task.CompletedTask; } }")]
    // A positional record parameter without a name gives a property named "".
    [InlineData("namespace App; public sealed record P(string , int Count); public static class Handlers { [TemHandler(\"x\")] public static Task<P> Run(P payload) => Task.FromResult(payload); }")]
    public void HalfTypedCode_NeverMakesTheGeneratorEmitCodeThatDoesNotParse(string body)
    {
        var result = GeneratorHarness.Run("using System.Threading.Tasks; using Tem; " + body);

        Assert.Null(GeneratorHarness.TemResult(result.Driver).Exception);
        Assert.All(GeneratorHarness.TemDiagnostics(result), d => Assert.StartsWith("TEM", d.Id, StringComparison.Ordinal));
        foreach (var generated in GeneratorHarness.TemResult(result.Driver).GeneratedSources)
        {
            Assert.DoesNotContain(generated.SyntaxTree.GetDiagnostics(TestContext.Current.CancellationToken), d => d.Severity == DiagnosticSeverity.Error);
        }
    }
}
