using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Tem.Generators.Diagnostics;
using Tem.Generators.Model;

namespace Tem.Generators.Emitting;

/// <summary>Combines every parsed handler with the assembly settings: duplicates, JSON coverage, names.</summary>
internal static class GenerationBuilder
{
    private static readonly HashSet<string> ReservedMemberNames = new(StringComparer.Ordinal)
    {
        "TemTasks", "AllNames", "Find", "Equals", "GetHashCode", "GetType", "ToString", "ReferenceEquals", "MemberwiseClone", "Finalize",
    };

    public static GenerationModel Build((EquatableArray<HandlerParseResult> Results, AssemblySettings Settings) input, CancellationToken cancellationToken)
    {
        var (results, settings) = input;
        var diagnostics = new List<DiagnosticInfo>();
        var handlers = results
            .Select(r => r.Handler)
            .Where(h => h is not null)
            .Select(h => h!)
            .OrderBy(h => h.TaskType, StringComparer.Ordinal)
            .ThenBy(h => h.AttributeLocation?.FilePath ?? "", StringComparer.Ordinal)
            .ThenBy(h => h.AttributeLocation?.TextSpan.Start ?? 0)
            .ToList();

        var emitted = new List<EmittedHandler>();
        var temTypes = new Dictionary<string, JsonTypeModel>(StringComparer.Ordinal);
        var usedNames = new HashSet<string>(ReservedMemberNames, StringComparer.Ordinal);
        foreach (var group in handlers.GroupBy(h => h.TaskType, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = group.ToList();
            if (members.Count > 1)
            {
                for (var i = 0; i < members.Count; i++)
                {
                    var other = i == 0 ? members[1] : members[0];
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateTaskType, members[i].AttributeLocation, group.Key, members[i].DisplayName, other.DisplayName));
                }
            }

            var handler = members[0];
            var payloadJson = Resolve(handler.Payload, handler.PayloadJson, settings, temTypes);
            if (payloadJson is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, handler.PayloadLocation, "payload", handler.Payload.DisplayName, handler.DisplayName));
            }

            JsonSource? resultJson = null;
            if (handler.Result is { } result)
            {
                resultJson = Resolve(result, handler.ResultJson, settings, temTypes);
                if (resultJson is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, handler.ReturnLocation, "result", result.DisplayName, handler.DisplayName));
                }
            }

            if (payloadJson is null || (handler.Result is not null && resultJson is null))
            {
                continue;
            }

            var name = UniqueName(DescriptorName(handler.TaskType), usedNames);
            var isPublic = handler.Payload.IsEffectivelyPublic && (handler.Result?.IsEffectivelyPublic ?? true);
            emitted.Add(new EmittedHandler(handler, name, payloadJson, resultJson, isPublic));
        }

        // Tem's own context: one property per type, named like System.Text.Json would, made unique.
        var memberNames = new HashSet<string>(StringComparer.Ordinal)
        {
            "Default", "Options", "GetTypeInfo", "GeneratedSerializerOptions", "TemJsonContext", "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize", "ReferenceEquals",
        };
        var jsonTypes = temTypes.Values
            .OrderBy(t => t.TypeName, StringComparer.Ordinal)
            .Select(t => t with { MemberName = UniqueName(t.MemberName, memberNames) })
            .ToList();
        var jsonMembers = jsonTypes.ToDictionary(t => t.TypeName, t => t.MemberName, StringComparer.Ordinal);
        string TemExpression(JsonSource source) => $"global::{settings.Namespace}.TemJsonContext.Default.{Parsing.JsonTypeAnalyzer.EscapeIdentifier(jsonMembers[source.Expression])}";
        emitted = emitted
            .Select(e => e with
            {
                PayloadJson = e.PayloadJson.IsTemContext ? new JsonSource(TemExpression(e.PayloadJson)) : e.PayloadJson,
                ResultJson = e.ResultJson is { IsTemContext: true } r ? new JsonSource(TemExpression(r)) : e.ResultJson,
            })
            .ToList();

        var parameterNames = new HashSet<string>(StringComparer.Ordinal) { "services" };
        var instanceTypes = emitted
            .Where(e => !e.Handler.IsStatic)
            .GroupBy(e => e.Handler.ContainingType, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new InstanceType(g.Key, UniqueName(ParameterName(g.First().Handler.ContainingTypeDisplay), parameterNames), g.First().Handler.ContainingTypeIsEffectivelyPublic))
            .ToEquatableArray();

        return new GenerationModel(settings.Namespace, results.Count > 0, jsonTypes.ToEquatableArray(), emitted.ToEquatableArray(), instanceTypes, diagnostics.ToEquatableArray());
    }

    private static JsonSource? Resolve(TypeRef type, JsonClosure? closure, AssemblySettings settings, Dictionary<string, JsonTypeModel> temTypes)
    {
        var named = ResolveNamed(type, settings);
        if (named is not null || closure is null)
        {
            return named;
        }

        foreach (var model in closure.Types)
        {
            temTypes[model.TypeName] = model;
        }

        // Placeholder: the type name, turned into the context property once names are assigned.
        return new JsonSource(closure.RootType, IsTemContext: true);
    }

    private static JsonSource? ResolveNamed(TypeRef type, AssemblySettings settings)
    {
        foreach (var context in settings.JsonContexts)
        {
            foreach (var covered in context.CoveredTypes)
            {
                if (covered.TypeName == type.FullyQualifiedName)
                {
                    return covered.PropertyName is { } property
                        ? new JsonSource($"{context.TypeName}.Default.{Parsing.JsonTypeAnalyzer.EscapeIdentifier(property)}")
                        : new JsonSource($"((global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<{type.FullyQualifiedName}>){context.TypeName}.Default.GetTypeInfo(typeof({type.FullyQualifiedName}))!)");
                }
            }
        }

        return null;
    }

    /// <summary>"docs.summarize-v2" becomes "DocsSummarizeV2".</summary>
    public static string DescriptorName(string taskType)
    {
        var builder = new StringBuilder();
        var upper = true;
        foreach (var c in taskType)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9'))
            {
                builder.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else
            {
                upper = true;
            }
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, "Task");
        }

        return builder.ToString();
    }

    private static string ParameterName(string typeDisplay)
    {
        var simple = typeDisplay.Substring(typeDisplay.LastIndexOf('.') + 1);
        var name = simple.Length == 0 ? "handlers" : char.ToLowerInvariant(simple[0]) + simple.Substring(1);
        return Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;
    }

    private static string UniqueName(string name, HashSet<string> used)
    {
        var candidate = name;
        for (var i = 2; !used.Add(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
