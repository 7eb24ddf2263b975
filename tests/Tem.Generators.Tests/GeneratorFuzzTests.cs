using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Tem.Generators.Tests;

/// <summary>
/// The generator runs on every keystroke in the IDE, so it sees far more broken code than valid code. Random
/// mutations of valid handler files must only ever give diagnostics: no generator exception, no unparseable
/// output, output that compiles whenever the user's code does, and the same result whether the driver reaches
/// the broken file cold or incrementally. Each case is fixed by its seed, so a failure reproduces exactly.
/// </summary>
public sealed class GeneratorFuzzTests
{
    /// <summary>Cases run by default; override with TEM_FUZZ_SEEDS=N (one case), or N..M (inclusive) for a longer hunt.</summary>
    private const string DefaultSeeds = "0..399";

    private static readonly string[] GeneratorFailureIds = ["CS8784", "CS8785", "AD0001"];

    // JSON shapes Tem describes itself (enum, nullables, renamed properties, constructor defaults, recursion, a
    // struct); each is a handler's payload and result, so mutations reach the JSON analyzer from both sides. Few,
    // because compiling the JSON metadata is the slowest step of a case.
    private static readonly string[] JsonShapeNames = ["S04", "S05", "S13", "S25", "S27", "S37"];

    private static readonly Seed[] Seeds =
    [
        new("static handlers", SnapshotTests.StaticHandlersSource, "TestApp", ReferenceTemCore: true),
        new("instance handlers", SnapshotTests.InstanceHandlersSource, "Shop.App", ReferenceTemCore: true),
        new("Tem-described types", TemJsonSnapshotTests.Source, "Docs.Handlers", ReferenceTemCore: true),
        new("runtime stand-in declared in source", DispatchTests.Source, "App", ReferenceTemCore: false),
        new("JSON shapes", JsonShapesSource(), "Diff.App", ReferenceTemCore: true),
    ];

    [Fact]
    public void RandomMutationsOfValidHandlers_OnlyEverProduceDiagnostics()
    {
        var prepared = Seeds.Select(Prepare).ToArray();
        var (first, last) = SeedRange(Environment.GetEnvironmentVariable("TEM_FUZZ_SEEDS") ?? DefaultSeeds);
        var failures = new List<string>();
        var failedSeeds = new List<int>();
        for (var seed = first; seed <= last; seed++)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            if (RunCase(prepared, seed) is { } failure)
            {
                failedSeeds.Add(seed);
                if (failures.Count < 3)
                {
                    failures.Add(failure);
                }
            }
        }

        Assert.True(
            failedSeeds.Count == 0,
            $"{failedSeeds.Count} of {last - first + 1} fuzz cases failed (seeds {string.Join(", ", failedSeeds)}); "
            + $"re-run one with TEM_FUZZ_SEEDS=<seed>.{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    /// <summary>Mutates one seed source and runs the generator on it cold, after the valid source, and back again.</summary>
    private static string? RunCase(PreparedSeed[] prepared, int seed)
    {
        var random = new Random(seed);
        var origin = prepared[seed % prepared.Length];
        var mutations = new List<string>();
        var source = new SourceMutator(random).Mutate(origin.Seed.Source, mutations);
        var problems = new List<string>();
        try
        {
            var tree = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: "Handlers.cs", encoding: Encoding.UTF8, cancellationToken: TestContext.Current.CancellationToken);
            var mutant = origin.Compilation.ReplaceSyntaxTree(origin.Compilation.SyntaxTrees.Single(), tree);

            // Cold: a new driver that has never seen the valid file. For a compile check, System.Text.Json's
            // generator runs too, so named contexts get their members. Code that does not parse cannot be held to
            // compiling, and where the Tem runtime is declared in the file, mutants change the API the generated
            // code is written against (ITemHandlerRegistry, TaskType's constructor), which the generator may assume.
            // Compiling is most of the run time, so it is done for every other case of each seed source.
            var compile = origin.Seed.ReferenceTemCore
                && seed / prepared.Length % 2 == 0
                && !tree.GetDiagnostics(TestContext.Current.CancellationToken).Any(IsError);
            var coldDriver = GeneratorHarness.CreateDriver(withJsonGenerator: compile)
                .RunGeneratorsAndUpdateCompilation(mutant, out var output, out _, TestContext.Current.CancellationToken);
            var cold = Outcome.Of(coldDriver, source.Length, "cold", problems);
            if (compile)
            {
                CheckGeneratedCodeCompiles(coldDriver, output, tree, problems);
            }

            // Incremental: the edit arrives after the valid file, the path an IDE takes, and must agree with the cold run.
            var afterValidDriver = origin.Driver.RunGenerators(mutant, TestContext.Current.CancellationToken);
            var afterValid = Outcome.Of(afterValidDriver, source.Length, "after the valid source", problems);
            Outcome.AssertSame(cold, afterValid, "after the valid source", problems);

            // Undoing the edit must restore exactly what the valid file produced.
            var undone = Outcome.Of(afterValidDriver.RunGenerators(origin.Compilation, TestContext.Current.CancellationToken), origin.Seed.Source.Length, "after undoing the edit", problems);
            Outcome.AssertSame(origin.Outcome, undone, "after undoing the edit", problems);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            problems.Add("the driver threw: " + exception);
        }

        if (problems.Count == 0)
        {
            return null;
        }

        return $"""
            ---- seed {seed}: '{origin.Seed.Name}' mutated by
              {string.Join(Environment.NewLine + "  ", mutations)}
            problems:
              {string.Join(Environment.NewLine + "  ", problems)}
            mutated Handlers.cs:
            {source}
            ---- end of seed {seed}
            """;
    }

    /// <summary>
    /// When the user's code compiles, Tem's output must compile without warnings too: broken handlers are left
    /// out with a TEM diagnostic, never emitted half right. When the user's code has errors the generated code
    /// may well name what is broken, so there is nothing to hold it to.
    /// </summary>
    private static void CheckGeneratedCodeCompiles(GeneratorDriver driver, Compilation output, SyntaxTree userTree, List<string> problems)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var found = new List<string>();
        foreach (var generated in GeneratorHarness.TemResult(driver).GeneratedSources)
        {
            foreach (var diagnostic in output.GetSemanticModel(generated.SyntaxTree).GetDiagnostics(cancellationToken: cancellationToken).Where(d => d.Severity >= DiagnosticSeverity.Warning))
            {
                var line = generated.SourceText.Lines[diagnostic.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim();
                found.Add($"the user's code compiles but {generated.HintName} does not: {diagnostic} in `{line}`");
            }
        }

        // Binding the user's file costs as much again, so it is only done to excuse problems already found.
        var json = driver.GetRunResult().Results.Single(r => r.Generator.GetGeneratorType() != typeof(TemHandlerGenerator));
        if (found.Count == 0
            || json.Exception is not null
            || json.Diagnostics.Any(IsError)
            || output.GetSemanticModel(userTree).GetDiagnostics(cancellationToken: cancellationToken).Any(IsError))
        {
            return;
        }

        problems.AddRange(found);
    }

    private static bool IsError(Diagnostic diagnostic) => diagnostic.Severity == DiagnosticSeverity.Error;

    private static PreparedSeed Prepare(Seed seed)
    {
        var compilation = GeneratorHarness.Compile(seed.Source, seed.AssemblyName, referenceTemCore: seed.ReferenceTemCore);
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation, TestContext.Current.CancellationToken);
        var problems = new List<string>();
        var outcome = Outcome.Of(driver, seed.Source.Length, "valid seed", problems);

        // A seed that already has TEM diagnostics would make the mutants less realistic: they start from working code.
        Assert.Empty(problems);
        Assert.Empty(outcome.Diagnostics);
        Assert.NotEmpty(outcome.Sources);
        return new PreparedSeed(seed, compilation, driver, outcome);
    }

    private static (int First, int Last) SeedRange(string text)
    {
        var parts = text.Split("..", StringSplitOptions.TrimEntries);
        var first = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (first, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : first);
    }

    private static string JsonShapesSource()
    {
        var shapes = JsonDifferentialTests.Shapes.Where(s => JsonShapeNames.Contains(s.Name)).ToList();
        Assert.Equal(JsonShapeNames.Length, shapes.Count);
        var builder = new StringBuilder("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using System.Threading;
            using System.Threading.Tasks;
            using Tem;

            namespace Diff;

            """);
        foreach (var (_, declaration, _) in shapes)
        {
            builder.AppendLine(declaration);
        }

        builder.AppendLine("public static class Handlers {");
        foreach (var (name, _, _) in shapes)
        {
            var type = name == "S12" ? "Outer.S12" : name;
            builder.AppendLine($"    [TemHandler(\"{name.ToLowerInvariant()}\", MaxAttempts = 2)] public static ValueTask<{type}> H{name}({type} payload, CancellationToken cancellationToken) => new(payload);");
        }

        builder.AppendLine("}");
        return builder.ToString();
    }

    private sealed record Seed(string Name, string Source, string AssemblyName, bool ReferenceTemCore);

    private sealed record PreparedSeed(Seed Seed, CSharpCompilation Compilation, GeneratorDriver Driver, Outcome Outcome);

    /// <summary>What the Tem generator produced in one run, as text, so two runs can be compared.</summary>
    private sealed record Outcome(ImmutableArray<string> Diagnostics, ImmutableArray<(string HintName, string Text)> Sources)
    {
        public static Outcome Of(GeneratorDriver driver, int sourceLength, string stage, List<string> problems)
        {
            var run = driver.GetRunResult();
            var tem = GeneratorHarness.TemResult(driver);
            if (tem.Exception is { } exception)
            {
                problems.Add($"{stage}: the generator threw {exception}");
            }
            else
            {
                // System.Text.Json's generator has crashes of its own on such code; only Tem's are this test's business.
                foreach (var diagnostic in run.Diagnostics.Where(d => GeneratorFailureIds.Contains(d.Id) && d.GetMessage(CultureInfo.InvariantCulture).Contains(nameof(TemHandlerGenerator), StringComparison.Ordinal)))
                {
                    problems.Add($"{stage}: the driver reported {diagnostic}");
                }
            }

            // The driver's own report of a crash (CS8785) is counted above; anything else must be a TEM diagnostic.
            foreach (var diagnostic in tem.Diagnostics.Where(d => !GeneratorFailureIds.Contains(d.Id)))
            {
                if (!diagnostic.Id.StartsWith("TEM", StringComparison.Ordinal))
                {
                    problems.Add($"{stage}: the generator reported a non-TEM diagnostic {diagnostic}");
                }

                // A span past the end of the file would be a location cached from an earlier version of it.
                if (diagnostic.Location.SourceSpan.End > sourceLength)
                {
                    problems.Add($"{stage}: {diagnostic.Id} points at {diagnostic.Location.SourceSpan}, outside the {sourceLength}-character file");
                }
            }

            foreach (var generated in tem.GeneratedSources)
            {
                foreach (var error in generated.SyntaxTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
                {
                    var line = generated.SourceText.Lines[error.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim();
                    problems.Add($"{stage}: {generated.HintName} does not parse: {error} in `{line}`");
                }
            }

            return new Outcome(
                [.. tem.Diagnostics.Select(d => d.ToString()).Order(StringComparer.Ordinal)],
                [.. tem.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).OrderBy(s => s.HintName, StringComparer.Ordinal)]);
        }

        public static void AssertSame(Outcome expected, Outcome actual, string stage, List<string> problems)
        {
            if (!expected.Diagnostics.SequenceEqual(actual.Diagnostics))
            {
                problems.Add($"{stage}: diagnostics differ:{Environment.NewLine}    expected {string.Join("; ", expected.Diagnostics)}{Environment.NewLine}    actual   {string.Join("; ", actual.Diagnostics)}");
            }

            var expectedNames = expected.Sources.Select(s => s.HintName);
            var actualNames = actual.Sources.Select(s => s.HintName);
            if (!expectedNames.SequenceEqual(actualNames))
            {
                problems.Add($"{stage}: generated files [{string.Join(", ", actualNames)}] instead of [{string.Join(", ", expectedNames)}]");
                return;
            }

            foreach (var (e, a) in expected.Sources.Zip(actual.Sources))
            {
                if (e.Text != a.Text)
                {
                    problems.Add($"{stage}: {a.HintName} differs");
                }
            }
        }
    }
}
