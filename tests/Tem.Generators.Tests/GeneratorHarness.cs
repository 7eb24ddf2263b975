using System.Collections;
using Xunit;
using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Tem.Generators.Tests;

/// <summary>Compiles test sources against net10.0 reference assemblies and Tem.Core, and runs the generator.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(TemWorker).Assembly.Location),
    ]);

    private static readonly Lazy<ISourceGenerator> JsonGenerator = new(LoadSystemTextJsonGenerator);

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(string source, string assemblyName = "TestApp", IEnumerable<MetadataReference>? extraReferences = null, bool referenceTemCore = true)
        => CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Handlers.cs", encoding: Encoding.UTF8)],
            [.. referenceTemCore ? References.Value : References.Value.RemoveAt(References.Value.Length - 1), .. extraReferences ?? []],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the Tem generator (and System.Text.Json's, so named contexts get their members) with step tracking.</summary>
    public static GeneratorResult Run(string source, string assemblyName = "TestApp", bool withJsonGenerator = true, IEnumerable<MetadataReference>? extraReferences = null, bool referenceTemCore = true)
    {
        var compilation = Compile(source, assemblyName, extraReferences, referenceTemCore);
        var driver = CreateDriver(withJsonGenerator, trackSteps: true)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics, TestContext.Current.CancellationToken);
        return new GeneratorResult(compilation, output, driver, generatorDiagnostics);
    }

    /// <summary>A fresh driver holding a new Tem generator (and System.Text.Json's when asked), not yet run.</summary>
    public static GeneratorDriver CreateDriver(bool withJsonGenerator = true, bool trackSteps = false)
    {
        var generators = withJsonGenerator
            ? new[] { new TemHandlerGenerator().AsSourceGenerator(), JsonGenerator.Value }
            : new[] { new TemHandlerGenerator().AsSourceGenerator() };
        return CSharpGeneratorDriver.Create(
            generators,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));
    }

    /// <summary>The Tem generator's own result in a driver run.</summary>
    public static GeneratorRunResult TemResult(GeneratorDriver driver)
        => driver.GetRunResult().Results.Single(r => r.Generator.GetGeneratorType() == typeof(TemHandlerGenerator));

    /// <summary>Diagnostics the Tem generator reported, ordered by position.</summary>
    public static ImmutableArray<Diagnostic> TemDiagnostics(GeneratorResult result)
        => [.. TemResult(result.Driver).Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)];

    /// <summary>
    /// Re-runs the driver on a clone with an unrelated syntax tree and asserts every tracked Tem step is
    /// Cached or Unchanged, and that no step output holds a symbol, syntax node or compilation.
    /// </summary>
    public static void AssertIncremental(GeneratorResult result)
    {
        var first = TemResult(result.Driver);
        foreach (var step in first.TrackedSteps.Where(s => IsTemStep(s.Key)).SelectMany(s => s.Value))
        {
            foreach (var (value, _) in step.Outputs)
            {
                AssertNoRoslynObjects(value, step.Name ?? "?", new HashSet<object>(ReferenceEqualityComparer.Instance), 0);
            }
        }

        var edited = result.Input.Clone().AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Unrelated { internal static class Edit { internal const int Value = 42; } }", ParseOptions, path: "Unrelated.cs"));
        var driver = result.Driver.RunGenerators(edited, TestContext.Current.CancellationToken);
        var second = TemResult(driver);
        var tracked = second.TrackedSteps.Where(s => IsTemStep(s.Key)).ToList();
        Assert.Contains(tracked, s => s.Key == TrackingNames.Output);
        Assert.Contains(tracked, s => s.Key == TrackingNames.Handlers);
        foreach (var (name, steps) in tracked)
        {
            foreach (var step in steps)
            {
                foreach (var (_, reason) in step.Outputs)
                {
                    Assert.True(
                        reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"Step '{name}' re-ran with reason {reason} after an unrelated edit.");
                }
            }
        }

        foreach (var (_, reason) in second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
        {
            Assert.Equal(IncrementalStepRunReason.Cached, reason);
        }
    }

    private static bool IsTemStep(string name)
        => typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static).Any(f => (string?)f.GetValue(null) == name);

    private static void AssertNoRoslynObjects(object? value, string step, HashSet<object> seen, int depth)
    {
        if (value is null || depth > 20 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.False(value is ISymbol, $"Step '{step}' outputs an ISymbol ({value.GetType()}).");
        Assert.False(value is SyntaxNode, $"Step '{step}' outputs a SyntaxNode ({value.GetType()}).");
        Assert.False(value is Compilation, $"Step '{step}' outputs a Compilation ({value.GetType()}).");
        Assert.False(value is SemanticModel, $"Step '{step}' outputs a SemanticModel ({value.GetType()}).");
        Assert.False(value is Location, $"Step '{step}' outputs a Location ({value.GetType()}).");
        if (!value.GetType().IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable enumerable)
        {
            foreach (var item in enumerable)
            {
                AssertNoRoslynObjects(item, step, seen, depth + 1);
            }
        }

        for (var type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer)
                {
                    continue;
                }

                AssertNoRoslynObjects(field.GetValue(value), step, seen, depth + 1);
            }
        }
    }

    private static ISourceGenerator LoadSystemTextJsonGenerator()
    {
        // The shared framework lives at <dotnet>/shared/Microsoft.NETCore.App/<version>/; the generator ships in the targeting pack.
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var path = Directory.GetDirectories(packs)
            .Where(d => Path.GetFileName(d).StartsWith("10.", StringComparison.Ordinal))
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version(0, 0))
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .First(File.Exists);
        var reference = new Microsoft.CodeAnalysis.Diagnostics.AnalyzerFileReference(path, new AssemblyLoader());
        return reference.GetGenerators(LanguageNames.CSharp).Single();
    }

    private sealed class AssemblyLoader : Microsoft.CodeAnalysis.IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}

/// <summary>One generator run: its input, the compilation with generated sources, and the driver for re-runs.</summary>
internal sealed record GeneratorResult(CSharpCompilation Input, Compilation Output, GeneratorDriver Driver, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The sources the Tem generator added, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources
        => GeneratorHarness.TemResult(Driver).GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    /// <summary>Errors and warnings of the final compilation (user code plus every generated file).</summary>
    public ImmutableArray<Diagnostic> CompilationProblems
        => [.. Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    /// <summary>Emits the final compilation and loads it.</summary>
    public Assembly Load()
    {
        using var stream = new MemoryStream();
        var emit = Output.Emit(stream);
        Assert.True(emit.Success, string.Join(Environment.NewLine, emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
