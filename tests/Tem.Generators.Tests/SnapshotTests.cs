using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tem.Generators.Tests;

public sealed class SnapshotTests
{
    internal const string StaticHandlersSource = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Tem;

        [assembly: TemJsonContext(typeof(App.AppJsonContext))]

        namespace App;

        public sealed record RewritePayload(string Text, int MaxTokens);
        public sealed record RewriteResult(string Text, int Tokens);
        public sealed record SummaryPayload(string DocumentId);

        [JsonSerializable(typeof(RewritePayload))]
        [JsonSerializable(typeof(RewriteResult))]
        [JsonSerializable(typeof(SummaryPayload))]
        [JsonSerializable(typeof(List<string>))]
        [JsonSerializable(typeof(int))]
        [JsonSerializable(typeof(long?), TypeInfoPropertyName = "MaybeLong")]
        internal partial class AppJsonContext : JsonSerializerContext
        {
        }

        public static class Handlers
        {
            [TemHandler("rewrite", MaxAttempts = 5, TimeoutSeconds = 120)]
            public static Task<RewriteResult> Rewrite(RewritePayload payload, TaskContext context, CancellationToken cancellationToken)
                => Task.FromResult(new RewriteResult(payload.Text.ToUpperInvariant(), payload.MaxTokens));

            [TemHandler("docs.summarize-v2", Priority = 3)]
            public static ValueTask<List<string>> Summarize(SummaryPayload payload, CancellationToken cancellationToken, TaskContext context)
                => new(new List<string> { payload.DocumentId });

            [TemHandler("notify")]
            internal static Task Notify(RewritePayload payload) => Task.CompletedTask;

            [TemHandler("count/words", MaxAttempts = 1)]
            public static ValueTask CountWords(string text, CancellationToken cancellationToken) => default;

            [TemHandler("length")]
            public static async Task<int> Length(string text) { await Task.Yield(); return text.Length; }

            [TemHandler("maybe")]
            public static ValueTask<long?> Maybe(int value) => new(value == 0 ? null : value);

            // Overloads with the same name are fine: each has its own task type.
            [TemHandler("rewrite-nullable")]
            public static Task<RewriteResult?> Rewrite(SummaryPayload payload) => Task.FromResult<RewriteResult?>(null);
        }

        [JsonSerializable(typeof(string))]
        internal partial class StringsContext : JsonSerializerContext
        {
        }
        """;

    // The second context covers string; named below.
    private static readonly string StaticSource = StaticHandlersSource.Replace(
        "[assembly: TemJsonContext(typeof(App.AppJsonContext))]",
        "[assembly: TemJsonContext(typeof(App.AppJsonContext))]\n[assembly: TemJsonContext(typeof(App.StringsContext))]",
        StringComparison.Ordinal);

    [Fact]
    public void StaticHandlers()
    {
        var result = GeneratorHarness.Run(StaticSource);

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        Assert.Equal(["TemHandlers.g.cs", "TemTasks.g.cs"], result.Sources.Keys.Order(StringComparer.Ordinal));
        Baseline.Match(nameof(StaticHandlers), result.Sources);
        GeneratorHarness.AssertIncremental(result);
    }

    [Fact]
    public void StaticHandlers_DescriptorsCarryNameOptionsAndJsonMetadata()
    {
        var assembly = GeneratorHarness.Run(StaticSource).Load();
        var tasks = assembly.GetType("TestApp.TemTasks", throwOnError: true)!;

        var rewrite = Property(tasks, "Rewrite");
        Assert.Equal("rewrite", Get<string>(rewrite, "Name"));
        Assert.Equal(5, Get<int?>(rewrite, "MaxAttempts"));
        Assert.Equal(TimeSpan.FromSeconds(120), Get<TimeSpan?>(rewrite, "Timeout"));
        Assert.Equal(0, Get<int>(rewrite, "Priority"));
        Assert.Equal("TaskType`2", rewrite.GetType().Name);

        var payloadInfo = Get<JsonTypeInfo>(rewrite, "PayloadTypeInfo");
        var payload = Activator.CreateInstance(payloadInfo.Type, "hello", 7)!;
        Assert.Equal("""{"Text":"hello","MaxTokens":7}""", JsonSerializer.Serialize(payload, payloadInfo));

        var summarize = Property(tasks, "DocsSummarizeV2");
        Assert.Equal("docs.summarize-v2", Get<string>(summarize, "Name"));
        Assert.Null(Get<int?>(summarize, "MaxAttempts"));
        Assert.Null(Get<TimeSpan?>(summarize, "Timeout"));
        Assert.Equal(3, Get<int>(summarize, "Priority"));
        Assert.Equal(typeof(List<string>), Get<JsonTypeInfo>(summarize, "ResultTypeInfo").Type);

        var notify = Property(tasks, "Notify");
        Assert.Equal("TaskType`1", notify.GetType().Name);
        Assert.Equal(typeof(long?), Get<JsonTypeInfo>(Property(tasks, "Maybe"), "ResultTypeInfo").Type);

        var names = (IReadOnlyList<string>)tasks.GetProperty("AllNames")!.GetValue(null)!;
        Assert.Equal(["count/words", "docs.summarize-v2", "length", "maybe", "notify", "rewrite", "rewrite-nullable"], names);
        var find = tasks.GetMethod("Find")!;
        Assert.Same(rewrite, find.Invoke(null, ["rewrite"]));
        Assert.Same(notify, find.Invoke(null, ["notify"]));
        Assert.Null(find.Invoke(null, ["Rewrite"]));

        var registry = (ITemHandlerRegistry)assembly.GetType("TestApp.TemHandlers", throwOnError: true)!.GetProperty("Registry")!.GetValue(null)!;
        Assert.Throws<ArgumentNullException>(() => registry.RegisterWith(null!));
    }

    internal const string InstanceHandlersSource = """
        using System;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Tem;

        [assembly: TemJsonContext(typeof(Shop.ShopJson))]

        namespace Shop;

        public sealed class Order { public int Id { get; set; } }
        internal sealed record Receipt(int OrderId, string By);

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Receipt))]
        internal partial class ShopJson : JsonSerializerContext
        {
        }

        public sealed class OrderHandlers(string name)
        {
            public string Name => name;

            [TemHandler("order.ship")]
            public Task Ship(Order order, CancellationToken cancellationToken) => Task.CompletedTask;

            [TemHandler("order.receipt")]
            internal ValueTask<Receipt> Receipt(Order order) => new(new Receipt(order.Id, name));

            [TemHandler("order.audit")]
            public static Task Audit(Order order) => Task.CompletedTask;
        }

        internal sealed class Billing
        {
            public static class Nested
            {
                [TemHandler("billing.static")]
                public static Task Charge(Order order) => Task.CompletedTask;
            }

            [TemHandler("billing.charge")]
            public Task Charge(Order order, TaskContext context) => Task.CompletedTask;
        }
        """;

    [Fact]
    public void InstanceHandlers()
    {
        var result = GeneratorHarness.Run(InstanceHandlersSource, "Shop.App");

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        Baseline.Match(nameof(InstanceHandlers), result.Sources);
        GeneratorHarness.AssertIncremental(result);
    }

    [Fact]
    public void InstanceHandlers_RegistryFactoriesAndServiceProvider()
    {
        var assembly = GeneratorHarness.Run(InstanceHandlersSource, "Shop.App").Load();
        var handlers = assembly.GetType("Shop.App.TemHandlers", throwOnError: true)!;

        Assert.Null(handlers.GetProperty("Registry"));
        var byServices = handlers.GetMethod("CreateRegistry", [typeof(IServiceProvider)])!;
        Assert.True(byServices.IsPublic);
        var registry = (ITemHandlerRegistry)byServices.Invoke(null, [new EmptyServices()])!;
        Assert.NotNull(registry);
        Assert.Throws<TargetInvocationException>(() => byServices.Invoke(null, [null]));

        // Billing is internal, so the typed-factory overload is internal too; its parameters follow the type names.
        var byFactories = handlers.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Single(m => m.Name == "CreateRegistry" && m.GetParameters().Length == 2);
        Assert.True(byFactories.IsAssembly);
        Assert.Equal(["billing", "orderHandlers"], byFactories.GetParameters().Select(p => p.Name));

        var tasks = assembly.GetType("Shop.App.TemTasks", throwOnError: true)!;
        Assert.True(tasks.GetProperty("OrderShip")!.GetMethod!.IsPublic);
        Assert.True(tasks.GetProperty("OrderReceipt", BindingFlags.Static | BindingFlags.NonPublic)!.GetMethod!.IsAssembly);
    }

    [Fact]
    public void AssemblyNameBecomesANamespace()
    {
        Assert.Equal("My_App._2024.Tools", Parsing.AssemblySettingsParser.NamespaceFor("My-App.2024.Tools"));
        Assert.Equal("Tem.Generated", Parsing.AssemblySettingsParser.NamespaceFor(null));
        Assert.Equal("Company.@class", Parsing.AssemblySettingsParser.NamespaceFor("Company.class"));
        Assert.Equal("DocsSummarizeV2", Emitting.GenerationBuilder.DescriptorName("docs.summarize-v2"));
        Assert.Equal("Task2024Report", Emitting.GenerationBuilder.DescriptorName("2024/report"));
    }

    [Fact]
    public void NoHandlers_NoOutput()
    {
        var result = GeneratorHarness.Run("namespace App; public static class Nothing { }");

        Assert.Empty(result.Sources);
        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
    }

    private static object Property(Type type, string name)
        => type.GetProperty(name, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.GetValue(null)!;

    private static T Get<T>(object instance, string property) => (T)instance.GetType().GetProperty(property)!.GetValue(instance)!;

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

public sealed class TemJsonSnapshotTests
{
    internal const string Source = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Tem;

        namespace Docs;

        public enum Tone { Plain, Formal }

        public sealed record SummarizePayload(string DocumentId, Tone Tone, int MaxWords = 200);

        public sealed class SummaryResult
        {
            [JsonPropertyName("summary")] public string Text { get; init; } = "";
            public required List<string> Keywords { get; set; }
            public Dictionary<string, double>? Scores { get; set; }
            [JsonIgnore] public int Internal { get; set; }
        }

        public static class DocHandlers
        {
            [TemHandler("docs.summarize", MaxAttempts = 3)]
            public static Task<SummaryResult> Summarize(SummarizePayload payload, CancellationToken cancellationToken)
                => Task.FromResult(new SummaryResult { Keywords = new List<string>() });
        }
        """;

    [Fact]
    public void TemDescribedTypes()
    {
        var result = GeneratorHarness.Run(Source, "Docs.Handlers");

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        Assert.Equal(["TemHandlers.g.cs", "TemJsonContext.g.cs", "TemTasks.g.cs"], result.Sources.Keys.Order(StringComparer.Ordinal));
        Baseline.Match(nameof(TemDescribedTypes), result.Sources);
        GeneratorHarness.AssertIncremental(result);
    }

    [Fact]
    public void EditingAHandler_ReRunsTheHandlerSteps()
    {
        var result = GeneratorHarness.Run(Source, "Docs.Handlers");
        var tree = result.Input.SyntaxTrees.Single();
        var edited = result.Input.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            tree.ToString().Replace("MaxAttempts = 3", "MaxAttempts = 4", StringComparison.Ordinal))));

        var driver = result.Driver.RunGenerators(edited, TestContext.Current.CancellationToken);
        var run = GeneratorHarness.TemResult(driver);

        Assert.Contains(run.TrackedSteps[TrackingNames.Handlers].SelectMany(s => s.Outputs), o => o.Reason == Microsoft.CodeAnalysis.IncrementalStepRunReason.Modified);
        Assert.Contains(run.TrackedSteps[TrackingNames.Output].SelectMany(s => s.Outputs), o => o.Reason == Microsoft.CodeAnalysis.IncrementalStepRunReason.Modified);
        Assert.Contains("maxAttempts: 4,", run.GeneratedSources.Single(s => s.HintName == "TemTasks.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }
}
