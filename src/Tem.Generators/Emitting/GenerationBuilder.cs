using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Tem.Generators.Model;

namespace Tem.Generators.Emitting;

/// <summary>Combines every handler model with the assembly settings into what the emitter writes: JSON sources, names.</summary>
internal static class GenerationBuilder
{
    private static readonly HashSet<string> ReservedMemberNames = new(StringComparer.Ordinal)
    {
        "TemTasks", "AllNames", "Find", "Equals", "GetHashCode", "GetType", "ToString", "ReferenceEquals", "MemberwiseClone", "Finalize",
    };

    public static GenerationModel Build((HandlerSet Set, AssemblySettings Settings) input, CancellationToken cancellationToken)
    {
        var (set, settings) = input;
        var emitted = new List<EmittedHandler>();
        var temTypes = new Dictionary<string, JsonTypeModel>(StringComparer.Ordinal);
        var usedNames = new HashSet<string>(ReservedMemberNames, StringComparer.Ordinal);
        foreach (var group in InTaskTypeOrder(set.Handlers, h => h))
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Duplicates are TEM001 (reported by GenerationChecks); the first in order still gets emitted.
            var handler = group[0];
            var payloadJson = Resolve(handler.Payload, handler.PayloadJson, settings, temTypes);
            JsonSource? resultJson = handler.Result is { } result ? Resolve(result, handler.ResultJson, settings, temTypes) : null;
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

        return new GenerationModel(settings.Namespace, set.HasAnyHandlerAttribute, jsonTypes.ToEquatableArray(), emitted.ToEquatableArray(), instanceTypes);
    }

    /// <summary>
    /// Handlers grouped by task type in ordinal order; within a type (duplicates) by containing type and method name,
    /// never by position, so that moving code leaves the emitted output as it was.
    /// </summary>
    public static IEnumerable<List<T>> InTaskTypeOrder<T>(IEnumerable<T> items, Func<T, HandlerModel> handler)
        => items
            .OrderBy(i => handler(i).TaskType, StringComparer.Ordinal)
            .ThenBy(i => handler(i).ContainingType, StringComparer.Ordinal)
            .ThenBy(i => handler(i).MethodName, StringComparer.Ordinal)
            .GroupBy(i => handler(i).TaskType, StringComparer.Ordinal)
            .Select(g => g.ToList());

    private static JsonSource? Resolve(TypeRef type, JsonClosure? closure, AssemblySettings settings, Dictionary<string, JsonTypeModel> temTypes)
    {
        var named = JsonCoverage.FromNamedContext(type, settings);
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
