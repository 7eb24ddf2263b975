using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Tem.Generators.Diagnostics;
using Tem.Generators.Emitting;
using Tem.Generators.Model;
using Tem.Generators.Parsing;

namespace Tem.Generators;

/// <summary>
/// Turns every <c>[TemHandler]</c> method into a typed descriptor in <c>TemTasks</c> and a registration in
/// <c>TemHandlers</c>, both in the namespace named after the assembly.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TemHandlerGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                HandlerParser.AttributeMetadataName,
                static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax,
                static (ctx, ct) => HandlerParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Handlers);

        var handlerDiagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.HandlerDiagnostics);
        context.RegisterSourceOutput(handlerDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));

        var settings = context.CompilationProvider
            .Select(static (compilation, ct) => AssemblySettingsParser.Parse(compilation, ct))
            .WithTrackingName(TrackingNames.AssemblySettings);
        context.RegisterSourceOutput(settings, static (spc, s) => Report(spc, s.Diagnostics));

        // Emission reads handler models only, which hold no source locations: inserting a line above a handler changes
        // its parse result (the sites) but not its model, so the steps below stay Cached and nothing is emitted again.
        var allHandlers = parsed
            .Select(static (result, _) => result.Handler)
            .WithTrackingName(TrackingNames.HandlerModels)
            .Collect()
            .Select(static (models, _) => new HandlerSet(models.Where(static m => m is not null).Select(static m => m!).ToEquatableArray(), models.Length > 0))
            .WithTrackingName(TrackingNames.AllHandlers);

        var generation = allHandlers
            .Combine(settings)
            .Select(static (input, ct) => GenerationBuilder.Build(input, ct))
            .WithTrackingName(TrackingNames.Generation);

        // Diagnostics that need every handler read the sites too; they re-run when code moves, and only report.
        var generationDiagnostics = parsed
            .Collect()
            .Select(static (results, _) => results.ToEquatableArray())
            .Combine(settings)
            .Select(static (input, ct) => GenerationChecks.Diagnose(input, ct))
            .WithTrackingName(TrackingNames.GenerationDiagnostics);
        context.RegisterSourceOutput(generationDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));

        var output = generation
            .Select(static (model, ct) => Emitter.Emit(model, ct))
            .WithTrackingName(TrackingNames.Output);
        context.RegisterSourceOutput(output, static (spc, files) =>
        {
            foreach (var file in files)
            {
                spc.AddSource(file.HintName, SourceText.From(file.Source, System.Text.Encoding.UTF8));
            }
        });
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
