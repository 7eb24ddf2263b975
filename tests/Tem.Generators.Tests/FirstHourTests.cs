using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Tem.Generators.Tests;

/// <summary>
/// Issue 18 (a new user's first hour): TEM008 names the member without metadata and suggests a fix that runs; typing
/// above a handler does not re-emit anything.
/// </summary>
public sealed class FirstHourTests
{
    private const string Handlers = """
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Tem;

        namespace App;

        public sealed record Order(string Id, Colour Colour);

        public enum Colour { Red, Green }

        public sealed record Receipt(string Id);

        public static class Billing
        {
            [TemHandler("charge")]
            public static Task<Receipt> Charge(Order order, CancellationToken cancellationToken) => Task.FromResult(new Receipt(order.Id));
        }

        public sealed class Shipping
        {
            [TemHandler("ship")]
            public Task Ship(Order order) => Task.CompletedTask;
        }
        """;

    [Fact]
    public void InsertingALineAboveAHandler_LeavesEmissionCached()
    {
        var result = GeneratorHarness.Run(Handlers);
        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        var tree = result.Input.SyntaxTrees.Single();
        var text = tree.GetText(TestContext.Current.CancellationToken);
        var at = text.ToString().IndexOf("    [TemHandler(\"charge\")]", StringComparison.Ordinal);
        var edited = result.Input.ReplaceSyntaxTree(tree, tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(at, 0), "\n    // a new line above the handler\n"))));

        var run = GeneratorHarness.TemResult(result.Driver.RunGenerators(edited, TestContext.Current.CancellationToken));

        // The parse result moved (its sites changed): that is what makes this test meaningful.
        Assert.Contains(run.TrackedSteps[TrackingNames.Handlers].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        foreach (var name in new[] { TrackingNames.HandlerModels, TrackingNames.AllHandlers, TrackingNames.Generation, TrackingNames.Output })
        {
            foreach (var (_, reason) in run.TrackedSteps[name].SelectMany(s => s.Outputs))
            {
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Step '{name}' re-ran ({reason}) after a line was inserted above a handler.");
            }
        }

        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void TEM008_NamesTheMemberThatHasNoMetadata()
    {
        var result = GeneratorHarness.Run(Handlers.Replace(
            "public sealed record Order(string Id, Colour Colour);",
            "public sealed record Order(string Id, Line[] Lines);\npublic sealed record Line(string Sku, [property: JsonConverter(typeof(JsonStringEnumConverter<Colour>))] Colour Colour);",
            StringComparison.Ordinal));

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result), d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("'App.Billing.Charge'", StringComparison.Ordinal));
        Assert.Equal("TEM008", diagnostic.Id);
        Assert.Equal(
            "The payload type 'App.Order' of handler 'App.Billing.Charge' has no JSON metadata: member 'App.Order.Lines': property 'Colour' of 'App.Line' has [JsonConverter]; " +
            "add [JsonSerializable(typeof(App.Order))] to a JsonSerializerContext and name that context with [assembly: Tem.TemJsonContext(typeof(YourContext))]",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TEM008_OnAnUnbindableConstructor_SaysWhatToChange_AndDoesNotSuggestAContext()
    {
        var result = GeneratorHarness.Run(Handlers.Replace(
            "public sealed record Order(string Id, Colour Colour);",
            "public sealed class Order(string id, Colour color) { public string Id { get; } = id; public Colour Colour { get; } = color; }",
            StringComparison.Ordinal));

        var message = Assert.Single(GeneratorHarness.TemDiagnostics(result), d => d.Id == "TEM008" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("Charge", StringComparison.Ordinal))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("constructor parameter 'color' of 'App.Order' matches no public property of the same name (ignoring case) and type", message, StringComparison.Ordinal);
        Assert.Contains("rename the parameter or the property so they match", message, StringComparison.Ordinal);
        Assert.DoesNotContain("[JsonSerializable", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TEM008_TheSuggestedContext_BuildsAndBothTasksRun_WithEnumsStoredAsNames()
    {
        // (The generated types live in the namespace named after the assembly, TestApp here.)
        // Enum names instead of numbers: JsonStringEnumConverter<T> (AOT-safe), which Tem does not emulate, so TEM008
        // asks for a context. Applying exactly what it says must give a build whose tasks complete.
        var source = Handlers.Replace(
            "public enum Colour { Red, Green }",
            "[JsonConverter(typeof(JsonStringEnumConverter<Colour>))]\npublic enum Colour { Red, Green }",
            StringComparison.Ordinal);
        var refused = GeneratorHarness.Run(source);
        Assert.Contains(GeneratorHarness.TemDiagnostics(refused), d => d.Id == "TEM008"
            && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("member 'App.Order.Colour': type 'App.Colour' has [JsonConverter]; add [JsonSerializable(typeof(App.Order))]", StringComparison.Ordinal));

        var fixedSource = source.Replace("namespace App;", "[assembly: TemJsonContext(typeof(App.YourContext))]\n\nnamespace App;", StringComparison.Ordinal) + """

            [JsonSerializable(typeof(App.Order))]
            internal partial class YourContext : JsonSerializerContext;

            public static class Runner
            {
                public static async Task<string> RunAsync(string databasePath)
                {
                    await using var tem = TemEngine.Open(new TemOptions { DatabasePath = databasePath }, TestApp.TemHandlers.CreateRegistry(() => new Shipping()));
                    var batch = await tem.Batches.CreateAsync("b", "t");
                    await tem.Tasks.EnqueueAsync(batch.Id, TestApp.TemTasks.Charge, new Order("a", Colour.Green));
                    await tem.Tasks.EnqueueAsync(batch.Id, TestApp.TemTasks.Ship, new Order("b", Colour.Red));
                    await tem.Worker.StartAsync();
                    var stats = await tem.WaitForBatchAsync(batch.Id);
                    var first = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
                    return $"{stats.Completed} completed, {stats.Failed} failed; {first.PayloadJson}";
                }
            }
            """;
        var result = GeneratorHarness.Run(fixedSource);
        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems.Where(d => d.Severity == DiagnosticSeverity.Error));

        var folder = Directory.CreateTempSubdirectory("tem-tem008-").FullName;
        try
        {
            var run = (Task<string>)result.Load().GetType("App.Runner")!.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!
                .Invoke(null, [Path.Combine(folder, "tem.db")])!;
            Assert.Equal("2 completed, 0 failed; {\"Id\":\"a\",\"Colour\":\"Green\"}", await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
