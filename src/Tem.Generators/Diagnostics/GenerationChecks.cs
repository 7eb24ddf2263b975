using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Tem.Generators.Emitting;
using Tem.Generators.Model;

namespace Tem.Generators.Diagnostics;

/// <summary>
/// The diagnostics that need every handler (TEM001 duplicates, TEM008 JSON coverage). They read handler sites, so they
/// re-run when code moves; the emission pipeline does not, because its models hold no locations.
/// </summary>
internal static class GenerationChecks
{
    public static EquatableArray<DiagnosticInfo> Diagnose((EquatableArray<HandlerParseResult> Results, AssemblySettings Settings) input, CancellationToken cancellationToken)
    {
        var (results, settings) = input;
        var diagnostics = new List<DiagnosticInfo>();
        var parsed = results.Where(r => r.Handler is not null).ToList();
        foreach (var members in GenerationBuilder.InTaskTypeOrder(parsed, r => r.Handler!))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (members.Count > 1)
            {
                for (var i = 0; i < members.Count; i++)
                {
                    var other = i == 0 ? members[1] : members[0];
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateTaskType, members[i].Sites?.Attribute, members[i].Handler!.TaskType, members[i].Handler!.DisplayName, other.Handler!.DisplayName));
                }
            }

            var handler = members[0].Handler!;
            var sites = members[0].Sites;
            // A member that would be stored as nothing comes first: it is the one error whose fix is in the type itself.
            if (JsonCoverage.Drops(handler.Payload, handler.PayloadLoss, settings))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DroppedMember, sites?.Payload, "payload", handler.Payload.DisplayName, handler.DisplayName,
                    handler.PayloadLoss!.Member, handler.PayloadLoss.Reason, handler.PayloadLoss.Fix));
            }
            else if (!JsonCoverage.IsDescribed(handler.Payload, handler.PayloadJson, settings))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, sites?.Payload, "payload", handler.Payload.DisplayName, handler.DisplayName,
                    JsonCoverage.RefusalText(handler.PayloadRefusal, handler.Payload.DisplayName)));
            }

            if (handler.Result is { } dropping && JsonCoverage.Drops(dropping, handler.ResultLoss, settings))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DroppedMember, sites?.Return, "result", dropping.DisplayName, handler.DisplayName,
                    handler.ResultLoss!.Member, handler.ResultLoss.Reason, handler.ResultLoss.Fix));
            }
            else if (handler.Result is { } result && !JsonCoverage.IsDescribed(result, handler.ResultJson, settings))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, sites?.Return, "result", result.DisplayName, handler.DisplayName,
                    JsonCoverage.RefusalText(handler.ResultRefusal, result.DisplayName)));
            }
        }

        return diagnostics.ToEquatableArray();
    }
}
