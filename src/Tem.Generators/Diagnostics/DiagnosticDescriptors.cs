using System;
using Microsoft.CodeAnalysis;

namespace Tem.Generators.Diagnostics;

/// <summary>Every diagnostic the Tem generator reports. IDs are fixed once shipped.</summary>
public static class DiagnosticDescriptors
{
    private const string Category = "Tem.Handlers";

    /// <summary>TEM001: two handlers claim the same task type.</summary>
    public static readonly DiagnosticDescriptor DuplicateTaskType = new(
        id: "TEM001",
        title: "Duplicate task type",
        messageFormat: "Task type '{0}' is handled by both {1} and {2}; give each [TemHandler] method its own task type",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM002: the task type name breaks the naming rule.</summary>
    public static readonly DiagnosticDescriptor InvalidTaskTypeName = new(
        id: "TEM002",
        title: "Invalid task type name",
        messageFormat: "'{0}' is not a valid task type name; use 1 to 100 ASCII letters, digits, '.', '-', '_', ':' or '/', starting with a letter or digit (for example \"rewrite\" or \"docs.summarize\")",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM003: the handler does not return an awaitable Tem understands.</summary>
    public static readonly DiagnosticDescriptor InvalidReturnType = new(
        id: "TEM003",
        title: "Handler has an unsupported return type",
        messageFormat: "Handler '{0}' returns '{1}'; a [TemHandler] method must return Task, Task<T>, ValueTask or ValueTask<T>",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM004: the handler has no payload parameter.</summary>
    public static readonly DiagnosticDescriptor MissingPayloadParameter = new(
        id: "TEM004",
        title: "Handler has no payload parameter",
        messageFormat: "Handler '{0}' has no payload parameter; its first parameter must be the payload, optionally followed by TaskContext and CancellationToken",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM005: a parameter after the payload is neither TaskContext nor CancellationToken (or is repeated, ref, out...).</summary>
    public static readonly DiagnosticDescriptor UnsupportedParameter = new(
        id: "TEM005",
        title: "Handler has an unsupported parameter",
        messageFormat: "Parameter '{0}' of handler '{1}' is not supported: {2}; after the payload a handler may take one TaskContext and one CancellationToken, in any order",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM006: the handler or a containing type is generic.</summary>
    public static readonly DiagnosticDescriptor GenericHandler = new(
        id: "TEM006",
        title: "Handler is generic",
        messageFormat: "Handler '{0}' cannot be generic and cannot be declared in a generic type ('{1}'); move it to a non-generic method of a non-generic type",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM007: generated code cannot call the handler.</summary>
    public static readonly DiagnosticDescriptor InaccessibleHandler = new(
        id: "TEM007",
        title: "Handler is not accessible",
        messageFormat: "Handler '{0}' cannot be called by generated code because '{1}' is {2}; make it public or internal",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM008: nothing can describe the payload or result type as JSON.</summary>
    public static readonly DiagnosticDescriptor UndescribableType = new(
        id: "TEM008",
        title: "Payload or result type has no JSON metadata",
        messageFormat: "The {0} type '{1}' of handler '{2}' has no JSON metadata: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM009: an attribute option is out of range.</summary>
    public static readonly DiagnosticDescriptor InvalidHandlerOption = new(
        id: "TEM009",
        title: "Handler option is out of range",
        messageFormat: "{0} of handler '{1}' is {2}; it must be at least 1, or 0 to use the engine's default",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM010: [assembly: TemJsonContext] names a type that is not a usable JsonSerializerContext.</summary>
    public static readonly DiagnosticDescriptor InvalidJsonContext = new(
        id: "TEM010",
        title: "Named JSON context is not a JsonSerializerContext",
        messageFormat: "'{0}' named by [assembly: TemJsonContext] is not usable: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>TEM011: a member of the payload or result would be stored as nothing (a public field, a value tuple).</summary>
    public static readonly DiagnosticDescriptor DroppedMember = new(
        id: "TEM011",
        title: "Payload or result member would not be stored",
        messageFormat: "The {0} type '{1}' of handler '{2}' would lose data: member '{3}': {4}; {5}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    internal static DiagnosticDescriptor ById(string id) => id switch
    {
        "TEM001" => DuplicateTaskType,
        "TEM002" => InvalidTaskTypeName,
        "TEM003" => InvalidReturnType,
        "TEM004" => MissingPayloadParameter,
        "TEM005" => UnsupportedParameter,
        "TEM006" => GenericHandler,
        "TEM007" => InaccessibleHandler,
        "TEM008" => UndescribableType,
        "TEM009" => InvalidHandlerOption,
        "TEM010" => InvalidJsonContext,
        "TEM011" => DroppedMember,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown Tem diagnostic."),
    };
}
