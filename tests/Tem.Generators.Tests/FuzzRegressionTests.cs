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
        Assert.Contains("_instances().@class(payload)", result.Sources["TemHandlers.g.cs"], StringComparison.Ordinal);
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
