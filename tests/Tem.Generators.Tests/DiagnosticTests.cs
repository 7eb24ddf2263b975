using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Tem.Generators.Tests;

/// <summary>One test per TEM diagnostic: ID, severity, location (the [|marked|] span) and message.</summary>
public sealed class DiagnosticTests
{
    private const string Prelude = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Tem;

        [assembly: TemJsonContext(typeof(App.Json))]

        namespace App;

        public sealed record P(string Text);
        public sealed record R(int Value);

        [JsonSerializable(typeof(P))]
        [JsonSerializable(typeof(R))]
        internal partial class Json : JsonSerializerContext
        {
        }

        """;

    [Fact]
    public void TEM001_DuplicateTaskType_ReportedAtBothAttributes()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler([|"rewrite"|])]
                public static Task Run(P payload) => Task.CompletedTask;
            }

            public static class B
            {
                [TemHandler([|"rewrite"|], MaxAttempts = 2)]
                public static Task<R> Run(P payload) => Task.FromResult(new R(1));
            }
            """,
            ("TEM001", "Task type 'rewrite' is handled by both App.A.Run and App.B.Run; give each [TemHandler] method its own task type"),
            ("TEM001", "Task type 'rewrite' is handled by both App.B.Run and App.A.Run; give each [TemHandler] method its own task type"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("-leading")]
    [InlineData("émoji")]
    public void TEM002_InvalidTaskTypeName(string name)
    {
        Verify(
            $$"""
            public static class A
            {
                [TemHandler([|"{{name}}"|])]
                public static Task Run(P payload) => Task.CompletedTask;
            }
            """,
            ("TEM002", $"'{name}' is not a valid task type name; use 1 to 100 ASCII letters, digits, '.', '-', '_', ':' or '/', starting with a letter or digit (for example \"rewrite\" or \"docs.summarize\")"));
    }

    [Fact]
    public void TEM002_TooLongTaskTypeName()
    {
        var name = new string('a', 101);
        var result = GeneratorHarness.Run(Prelude + $$"""
            public static class A
            {
                [TemHandler("{{name}}")]
                public static Task Run(P payload) => Task.CompletedTask;
            }
            """);

        Assert.Equal("TEM002", Assert.Single(GeneratorHarness.TemDiagnostics(result)).Id);
        Assert.Empty(GeneratorHarness.TemDiagnostics(GeneratorHarness.Run(Prelude + $$"""
            public static class A
            {
                [TemHandler("{{name[..100]}}")]
                public static Task Run(P payload) => Task.CompletedTask;
            }
            """)));
    }

    [Fact]
    public void TEM003_BadReturnType()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("sync")]
                public static [|void|] Run(P payload) { }

                [TemHandler("plain")]
                public static [|R|] Plain(P payload) => new R(1);
            }
            """,
            ("TEM003", "Handler 'App.A.Run' returns 'void'; a [TemHandler] method must return Task, Task<T>, ValueTask or ValueTask<T>"),
            ("TEM003", "Handler 'App.A.Plain' returns 'App.R'; a [TemHandler] method must return Task, Task<T>, ValueTask or ValueTask<T>"));
    }

    [Fact]
    public void TEM004_MissingPayloadParameter()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("none")]
                public static Task [|Run|]() => Task.CompletedTask;

                [TemHandler("token-first")]
                public static Task [|TokenFirst|](CancellationToken cancellationToken, P payload) => Task.CompletedTask;
            }
            """,
            ("TEM004", "Handler 'App.A.Run' has no payload parameter; its first parameter must be the payload, optionally followed by TaskContext and CancellationToken"),
            ("TEM004", "Handler 'App.A.TokenFirst' has no payload parameter; its first parameter must be the payload, optionally followed by TaskContext and CancellationToken"));
    }

    [Fact]
    public void TEM005_UnsupportedExtraParameter()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("extra")]
                public static Task Run(P payload, int [|retries|]) => Task.CompletedTask;

                [TemHandler("twice")]
                public static Task Twice(P payload, TaskContext context, TaskContext [|again|]) => Task.CompletedTask;
            }
            """,
            ("TEM005", "Parameter 'retries' of handler 'App.A.Run' is not supported: its type 'int' is neither TaskContext nor CancellationToken; after the payload a handler may take one TaskContext and one CancellationToken, in any order"),
            ("TEM005", "Parameter 'again' of handler 'App.A.Twice' is not supported: TaskContext appears more than once; after the payload a handler may take one TaskContext and one CancellationToken, in any order"));
    }

    [Fact]
    public void TEM006_GenericMethodOrContainingType()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("generic")]
                public static Task [|Run|]<T>(P payload) => Task.CompletedTask;
            }

            public class Box<T>
            {
                [TemHandler("in-generic")]
                public static Task [|Run|](P payload) => Task.CompletedTask;
            }
            """,
            ("TEM006", "Handler 'App.A.Run' cannot be generic and cannot be declared in a generic type ('Run'); move it to a non-generic method of a non-generic type"),
            ("TEM006", "Handler 'App.Box<T>.Run' cannot be generic and cannot be declared in a generic type ('App.Box<T>'); move it to a non-generic method of a non-generic type"));
    }

    [Fact]
    public void TEM007_InaccessibleMethodOrContainingType()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("private")]
                private static Task [|Run|](P payload) => Task.CompletedTask;

                private static class Hidden
                {
                    [TemHandler("hidden")]
                    public static Task [|Run|](P payload) => Task.CompletedTask;
                }
            }

            file static class Local
            {
                [TemHandler("file")]
                public static Task [|Run|](P payload) => Task.CompletedTask;
            }
            """,
            ("TEM007", "Handler 'App.A.Run' cannot be called by generated code because 'Run' is private; make it public or internal"),
            ("TEM007", "Handler 'App.A.Hidden.Run' cannot be called by generated code because 'Hidden' is private; make it public or internal"),
            ("TEM007", "Handler 'App.Local.Run' cannot be called by generated code because 'Local' is file-local; make it public or internal"));
    }

    [Fact]
    public void TEM008_PayloadAndResultTypesNothingDescribes()
    {
        Verify(
            """
            // Abstract: neither Tem nor a named context can create one.
            public abstract record Unknown(int X);

            public static class A
            {
                [TemHandler("payload")]
                public static Task Run([|Unknown|] payload) => Task.CompletedTask;

                [TemHandler("result")]
                public static [|Task<Unknown>|] Make(P payload) => Task.FromResult<Unknown>(null!);
            }
            """,
            ("TEM008", "The payload type 'App.Unknown' of handler 'App.A.Run' has no JSON metadata: type 'App.Unknown' is abstract, so no serializer can create one; make it concrete, or add [JsonPolymorphic] and a [JsonDerivedType] for each derived type and name a JsonSerializerContext that covers it"),
            ("TEM008", "The result type 'App.Unknown' of handler 'App.A.Make' has no JSON metadata: type 'App.Unknown' is abstract, so no serializer can create one; make it concrete, or add [JsonPolymorphic] and a [JsonDerivedType] for each derived type and name a JsonSerializerContext that covers it"));
    }

    [Fact]
    public void TEM008_TypeWithCustomConverterAndNoNamedContext()
    {
        var result = GeneratorHarness.Run("""
            using System.Text.Json.Serialization;
            using System.Threading.Tasks;
            using Tem;

            namespace App;

            // A custom converter changes the JSON shape; Tem does not guess it, and no context is named.
            [JsonConverter(typeof(PConverter))]
            public sealed record P(string Text);

            public sealed class PConverter : JsonConverter<P>
            {
                public override P Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new(reader.GetString()!);
                public override void Write(System.Text.Json.Utf8JsonWriter writer, P value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value.Text);
            }

            [JsonSerializable(typeof(P))]
            internal partial class Json : JsonSerializerContext
            {
            }

            public static class A
            {
                [TemHandler("run")]
                public static Task Run(P payload) => Task.CompletedTask;
            }
            """);

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result));
        Assert.Equal("TEM008", diagnostic.Id);
        // The registry is still emitted (empty) so the user sees one error, not a cascade.
        Assert.Contains("TemHandlers.g.cs", result.Sources.Keys);
        Assert.DoesNotContain(result.CompilationProblems, d => d.Id.StartsWith("CS", StringComparison.Ordinal));
    }

    [Fact]
    public void TEM009_NegativeOption()
    {
        Verify(
            """
            public static class A
            {
                [TemHandler("run", MaxAttempts = [|-1|], TimeoutSeconds = [|-5|], Priority = -3)]
                public static Task Run(P payload) => Task.CompletedTask;
            }
            """,
            ("TEM009", "MaxAttempts of handler 'App.A.Run' is -1; it must be at least 1, or 0 to use the engine's default"),
            ("TEM009", "TimeoutSeconds of handler 'App.A.Run' is -5; it must be at least 1, or 0 to use the engine's default"));
    }

    [Fact]
    public void TEM010_NamedContextIsNotAJsonSerializerContext()
    {
        var source = """
            using System.Threading.Tasks;
            using Tem;

            [assembly: [|TemJsonContext(typeof(App.NotAContext))|]]

            namespace App;

            public sealed class NotAContext { }
            """;
        var (text, spans) = Markup(source);
        var result = GeneratorHarness.Run(text);

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result));
        AssertDiagnostic(diagnostic, "TEM010", spans[0], text, "'App.NotAContext' named by [assembly: TemJsonContext] is not usable: it does not derive from System.Text.Json.Serialization.JsonSerializerContext");
    }

    [Fact]
    public void TEM011_ValueTuplesAndPublicFields_WouldBeStoredAsNothing()
    {
        Verify(
            """
            public sealed record Job(string Id, (int A, string B) Pair);

            public sealed class Tally
            {
                public int Count;
            }

            public static class A
            {
                [TemHandler("tuple")]
                public static Task Run([|(int A, string B)|] payload) => Task.CompletedTask;

                [TemHandler("nested")]
                public static Task Nested([|Job|] payload) => Task.CompletedTask;

                [TemHandler("field")]
                public static [|Task<Tally>|] Count(P payload) => Task.FromResult(new Tally());
            }
            """,
            ("TEM011", "The payload type '(int A, string B)' of handler 'App.A.Run' would lose data: member '(int A, string B)': '(int A, string B)' is a value tuple; System.Text.Json writes a tuple's items only with IncludeFields, so it would be stored as {}; use a record with properties instead, for example 'public sealed record Pair(int A, string B)'"),
            ("TEM011", "The payload type 'App.Job' of handler 'App.A.Nested' would lose data: member 'App.Job.Pair': '(int A, string B)' is a value tuple; System.Text.Json writes a tuple's items only with IncludeFields, so it would be stored as {}; use a record with properties instead, for example 'public sealed record Pair(int A, string B)'"),
            ("TEM011", "The result type 'App.Tally' of handler 'App.A.Count' would lose data: member 'App.Tally.Count': 'Count' of 'App.Tally' is a public field, which System.Text.Json skips unless IncludeFields is set, so its value would not be stored; make it a property ('public int Count { get; set; }'), or mark it [JsonInclude] and name a JsonSerializerContext that covers the type"));
    }

    [Fact]
    public void MalformedCode_NeverThrows()
    {
        var sources = new[]
        {
            "using Tem; public static class A { [TemHandler] public static System.Threading.Tasks.Task Run(int p) => null!; }",
            "using Tem; public static class A { [TemHandler(42)] public static System.Threading.Tasks.Task Run(int p) => null!; }",
            "using Tem; public static class A { [TemHandler(\"x\")] public static Missing Run(int p) => null!; }",
            "using Tem; public static class A { [TemHandler(\"x\")] public static System.Threading.Tasks.Task Run(Missing p) => null!; }",
            "using Tem; public static class A { [TemHandler(\"x\")] public static System.Threading.Tasks.Task Run(int p, Missing q) => null!; }",
            "using Tem; public static class A { [TemHandler(\"x\")] public static System.Threading.Tasks.Task Run(int p",
            "using Tem; [TemHandler(\"x\")] public static class A { }",
            "using Tem; public static class A { static void M() { [TemHandler(\"x\")] static System.Threading.Tasks.Task Local(int p) => null!; } }",
            "[assembly: Tem.TemJsonContext(typeof(Missing))] [assembly: Tem.TemJsonContext(null)]",
            "using Tem; public abstract class A { [TemHandler(\"x\")] public abstract System.Threading.Tasks.Task Run(int p); }",
        };

        foreach (var source in sources)
        {
            var result = GeneratorHarness.Run(source);
            var run = GeneratorHarness.TemResult(result.Driver);
            Assert.Null(run.Exception);
            Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8784" or "CS8785" or "AD0001");
            Assert.All(GeneratorHarness.TemDiagnostics(result), d => Assert.StartsWith("TEM", d.Id, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void LocalFunctionHandler_IsInaccessible()
    {
        var result = GeneratorHarness.Run(Prelude + """
            public static class A
            {
                public static void M()
                {
                    [TemHandler("local")]
                    static Task Local(P payload) => Task.CompletedTask;
                }
            }
            """);

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result));
        Assert.Equal("TEM007", diagnostic.Id);
        Assert.Contains("a local function", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    private static void Verify(string body, params (string Id, string Message)[] expected)
    {
        var (text, spans) = Markup(Prelude + body);
        var result = GeneratorHarness.Run(text);
        var diagnostics = GeneratorHarness.TemDiagnostics(result);

        Assert.Equal(expected.Length, spans.Count);
        Assert.True(
            expected.Length == diagnostics.Length,
            $"Expected {expected.Length} diagnostics, got: {string.Join(Environment.NewLine, diagnostics)}");
        for (var i = 0; i < expected.Length; i++)
        {
            AssertDiagnostic(diagnostics[i], expected[i].Id, spans[i], text, expected[i].Message);
        }

        // Invalid handlers are left out, so the user's build shows the TEM error and nothing else.
        Assert.DoesNotContain(result.CompilationProblems, d => d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Location.GetLineSpan().Path.EndsWith(".g.cs", StringComparison.Ordinal));
    }

    private static void AssertDiagnostic(Diagnostic diagnostic, string id, TextSpan span, string text, string message)
    {
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Handlers.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(text.Substring(span.Start, span.Length), text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>Removes [| |] markers, returning the clean text and the marked spans in order.</summary>
    private static (string Text, List<TextSpan> Spans) Markup(string marked)
    {
        var builder = new StringBuilder();
        var spans = new List<TextSpan>();
        var start = -1;
        for (var i = 0; i < marked.Length; i++)
        {
            if (marked[i] == '[' && i + 1 < marked.Length && marked[i + 1] == '|')
            {
                start = builder.Length;
                i++;
            }
            else if (marked[i] == '|' && i + 1 < marked.Length && marked[i + 1] == ']')
            {
                spans.Add(TextSpan.FromBounds(start, builder.Length));
                i++;
            }
            else
            {
                builder.Append(marked[i]);
            }
        }

        return (builder.ToString(), spans);
    }
}
