using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Tem.Generators.Diagnostics;
using Tem.Generators.Emitting;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>Turns one [TemHandler] method into a <see cref="HandlerModel"/> or diagnostics. Never throws on malformed code.</summary>
internal static class HandlerParser
{
    public const string AttributeMetadataName = "Tem.TemHandlerAttribute";

    public static HandlerParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.Attributes.IsDefaultOrEmpty)
        {
            return new HandlerParseResult(null, null, EquatableArray<DiagnosticInfo>.Empty);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var methodLocation = LocationInfo.From(method.Locations.FirstOrDefault());
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var containingDisplay = method.ContainingType is { } ct ? SymbolHelpers.DisplayName(ct) : "";
        var display = containingDisplay.Length == 0 ? method.Name : containingDisplay + "." + method.Name;

        // The attribute: task type name and options. A missing argument is the compiler's error, not ours.
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind == TypedConstantKind.Error)
        {
            return new HandlerParseResult(null, null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var taskType = attribute.ConstructorArguments[0].Value as string;
        var nameLocation = LocationInfo.From(attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null)?.Expression)
            ?? LocationInfo.From(attributeSyntax);
        if (!TaskTypeNameRule.IsValid(taskType))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidTaskTypeName, nameLocation, taskType ?? "null"));
        }

        int maxAttempts = 0, timeoutSeconds = 0, priority = 0;
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Value.Value is not int value)
            {
                continue;
            }

            var argumentLocation = LocationInfo.From(attributeSyntax?.ArgumentList?.Arguments
                .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == named.Key)?.Expression) ?? nameLocation;
            switch (named.Key)
            {
                case "MaxAttempts":
                    maxAttempts = value;
                    break;
                case "TimeoutSeconds":
                    timeoutSeconds = value;
                    break;
                case "Priority":
                    priority = value;
                    continue;
                default:
                    continue;
            }

            if (value < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHandlerOption, argumentLocation, named.Key, display, value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        // Shape of the method and its containers.
        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericHandler, methodLocation, display, method.Name));
        }
        else if (FirstGenericContainer(method) is { } genericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericHandler, methodLocation, display, SymbolHelpers.DisplayName(genericType)));
        }

        if (Inaccessibility(method) is { } problem)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InaccessibleHandler, methodLocation, display, problem.Name, problem.Reason));
        }

        // Return type.
        var returnLocation = LocationInfo.From(ReturnTypeSyntax(context.TargetNode)) ?? methodLocation;
        ReturnKind? returnKind = null;
        TypeRef? result = null;
        var returnType = method.ReturnType;
        if (SymbolHelpers.ContainsErrors(returnType) || !SymbolHelpers.IsWellFormed(returnType))
        {
            return new HandlerParseResult(null, null, diagnostics.ToEquatableArray());
        }

        if (SymbolHelpers.Is(returnType, "System.Threading.Tasks", "Task"))
        {
            returnKind = ReturnKind.Task;
        }
        else if (SymbolHelpers.Is(returnType, "System.Threading.Tasks", "ValueTask"))
        {
            returnKind = ReturnKind.ValueTask;
        }
        else if (SymbolHelpers.Is(returnType, "System.Threading.Tasks", "Task`1") || SymbolHelpers.Is(returnType, "System.Threading.Tasks", "ValueTask`1"))
        {
            var resultType = ((INamedTypeSymbol)returnType).TypeArguments[0];
            returnKind = returnType.MetadataName == "Task`1" ? ReturnKind.TaskOfT : ReturnKind.ValueTaskOfT;
            if (resultType is IPointerTypeSymbol or IFunctionPointerTypeSymbol || resultType.IsRefLikeType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, returnLocation, "result", SymbolHelpers.DisplayName(resultType), display, JsonCoverage.RefusalText(null, SymbolHelpers.DisplayName(resultType))));
            }
            else
            {
                result = SymbolHelpers.ToTypeRef(resultType);
            }
        }
        else
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidReturnType, returnLocation, display, SymbolHelpers.DisplayName(returnType)));
        }

        // Parameters: payload, then TaskContext / CancellationToken in any order.
        TypeRef? payload = null;
        LocationInfo? payloadLocation = null;
        var extras = new List<ExtraParameter>();
        var parameters = method.Parameters;
        if (parameters.Length == 0 || IsTaskContext(parameters[0].Type) || IsCancellationToken(parameters[0].Type))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingPayloadParameter, methodLocation, display));
        }
        else
        {
            var first = parameters[0];
            payloadLocation = ParameterTypeLocation(first, cancellationToken) ?? methodLocation;
            if (SymbolHelpers.ContainsErrors(first.Type) || !SymbolHelpers.IsWellFormed(first.Type))
            {
                return new HandlerParseResult(null, null, diagnostics.ToEquatableArray());
            }

            // The registration passes the payload as a plain argument: fine for 'in', a warning for 'ref readonly'.
            if (first.RefKind is RefKind.Ref or RefKind.Out or RefKind.RefReadOnlyParameter)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameter, LocationInfo.From(first.Locations.FirstOrDefault()), first.Name, display, "the payload cannot be passed by ref, ref readonly or out"));
            }
            else if (first.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol || first.Type.IsRefLikeType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndescribableType, payloadLocation, "payload", SymbolHelpers.DisplayName(first.Type), display, JsonCoverage.RefusalText(null, SymbolHelpers.DisplayName(first.Type))));
            }
            else
            {
                payload = SymbolHelpers.ToTypeRef(first.Type);
            }
        }

        for (var i = payload is null && payloadLocation is null ? parameters.Length : 1; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var location = LocationInfo.From(parameter.Locations.FirstOrDefault()) ?? methodLocation;
            ExtraParameter? kind = IsTaskContext(parameter.Type) ? ExtraParameter.Context
                : IsCancellationToken(parameter.Type) ? ExtraParameter.CancellationToken
                : null;
            string? reason = null;
            if (kind is null)
            {
                reason = SymbolHelpers.ContainsErrors(parameter.Type) ? null : $"its type '{SymbolHelpers.DisplayName(parameter.Type)}' is neither TaskContext nor CancellationToken";
                if (reason is null)
                {
                    return new HandlerParseResult(null, null, diagnostics.ToEquatableArray());
                }
            }
            else if (parameter.RefKind is not RefKind.None and not RefKind.In)
            {
                reason = "it is passed by ref, ref readonly or out";
            }
            else if (extras.Contains(kind.Value))
            {
                reason = kind == ExtraParameter.Context ? "TaskContext appears more than once" : "CancellationToken appears more than once";
            }

            if (reason is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameter, location, parameter.Name, display, reason));
            }
            else
            {
                extras.Add(kind!.Value);
            }
        }

        // __arglist is not among the parameters, yet a call without one does not compile.
        if (method.IsVararg)
        {
            var argList = ParameterListSyntax(context.TargetNode)?.Parameters.LastOrDefault(p => p.Identifier.IsKind(SyntaxKind.ArgListKeyword));
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameter, LocationInfo.From(argList) ?? methodLocation, "__arglist", display, "a variable argument list (__arglist) cannot be passed"));
        }

        if (diagnostics.Count > 0 || payload is null || returnKind is null || taskType is null || method.ContainingType is null)
        {
            return new HandlerParseResult(null, null, diagnostics.ToEquatableArray());
        }

        // Code being typed can leave a method without a name or in a type generated code cannot name; the compiler
        // already reports it, and emitting the call would only add unparseable generated code to the errors.
        if (!SymbolHelpers.IsValidMemberName(method.Name) || !SymbolHelpers.IsWellFormed(method.ContainingType))
        {
            return new HandlerParseResult(null, null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var payloadJson = JsonTypeAnalyzer.Describe(parameters[0].Type, context.SemanticModel.Compilation);
        var resultJson = result is null ? null : JsonTypeAnalyzer.Describe(((INamedTypeSymbol)returnType).TypeArguments[0], context.SemanticModel.Compilation);
        var model = new HandlerModel(
            taskType,
            maxAttempts,
            timeoutSeconds,
            priority,
            SymbolHelpers.FullName(method.ContainingType),
            containingDisplay,
            SymbolHelpers.IsEffectivelyPublic(method.ContainingType),
            method.Name,
            method.IsStatic,
            payload,
            result,
            payloadJson.Closure,
            resultJson?.Closure,
            payloadJson.Refusal,
            resultJson?.Refusal,
            LossyMemberFinder.Find(parameters[0].Type),
            result is null ? null : LossyMemberFinder.Find(((INamedTypeSymbol)returnType).TypeArguments[0]),
            returnKind.Value,
            extras.ToEquatableArray());
        return new HandlerParseResult(model, new HandlerSites(nameLocation, payloadLocation, returnLocation), EquatableArray<DiagnosticInfo>.Empty);
    }

    private static bool IsTaskContext(ITypeSymbol type) => SymbolHelpers.Is(type, "Tem", "TaskContext");

    private static bool IsCancellationToken(ITypeSymbol type) => SymbolHelpers.Is(type, "System.Threading", "CancellationToken");

    private static INamedTypeSymbol? FirstGenericContainer(IMethodSymbol method)
    {
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return type;
            }
        }

        return null;
    }

    private static (string Name, string Reason)? Inaccessibility(IMethodSymbol method)
    {
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return (method.Name, "a local function");
        }

        if (method.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
        {
            return (method.Name, SymbolHelpers.AccessibilityText(method.DeclaredAccessibility));
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return (type.Name, SymbolHelpers.AccessibilityText(type.DeclaredAccessibility));
            }

            if (type.IsFileLocal)
            {
                return (type.Name, "file-local");
            }
        }

        return null;
    }

    private static SyntaxNode? ReturnTypeSyntax(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => m.ReturnType,
        LocalFunctionStatementSyntax l => l.ReturnType,
        _ => null,
    };

    private static ParameterListSyntax? ParameterListSyntax(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => m.ParameterList,
        LocalFunctionStatementSyntax l => l.ParameterList,
        _ => null,
    };

    private static LocationInfo? ParameterTypeLocation(IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        var syntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as ParameterSyntax;
        return LocationInfo.From(syntax?.Type) ?? LocationInfo.From(parameter.Locations.FirstOrDefault());
    }
}
