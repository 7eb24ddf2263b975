using Tem.Generators.Diagnostics;

namespace Tem.Generators.Model;

/// <summary>How a handler returns.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>A parameter after the payload.</summary>
internal enum ExtraParameter
{
    Context,
    CancellationToken,
}

/// <summary>A payload or result type, by name only.</summary>
/// <param name="FullyQualifiedName">The <c>global::</c> name without nullable reference annotations.</param>
/// <param name="DisplayName">A short name for messages.</param>
/// <param name="IsEffectivelyPublic">Whether code in another assembly can name the type.</param>
internal sealed record TypeRef(string FullyQualifiedName, string DisplayName, bool IsEffectivelyPublic);

/// <summary>
/// A [TemHandler] method the emitter can register. It holds no source location: inserting a line above a handler must
/// leave this model equal, so the registry and JSON context are not emitted again (locations live in <see cref="HandlerSites"/>,
/// which only the diagnostics pipeline reads).
/// </summary>
internal sealed record HandlerModel(
    string TaskType,
    int MaxAttempts,
    int TimeoutSeconds,
    int Priority,
    string ContainingType,
    string ContainingTypeDisplay,
    bool ContainingTypeIsEffectivelyPublic,
    string MethodName,
    bool IsStatic,
    TypeRef Payload,
    TypeRef? Result,
    JsonClosure? PayloadJson,
    JsonClosure? ResultJson,
    JsonRefusal? PayloadRefusal,
    JsonRefusal? ResultRefusal,
    JsonLoss? PayloadLoss,
    JsonLoss? ResultLoss,
    ReturnKind ReturnKind,
    EquatableArray<ExtraParameter> ExtraParameters)
{
    public string DisplayName => ContainingTypeDisplay + "." + MethodName;
}

/// <summary>Where a handler's parts are in source, for diagnostics that need every handler (duplicates, JSON coverage).</summary>
internal sealed record HandlerSites(LocationInfo? Attribute, LocationInfo? Payload, LocationInfo? Return);

/// <summary>What parsing one attributed method produced: a model and its sites, or diagnostics.</summary>
internal sealed record HandlerParseResult(HandlerModel? Handler, HandlerSites? Sites, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A type a named JsonSerializerContext covers with a [JsonSerializable] attribute.</summary>
/// <param name="TypeName">The covered type's <c>global::</c> name without nullable annotations.</param>
/// <param name="PropertyName">The generated property to use, or null to go through GetTypeInfo.</param>
internal sealed record CoveredType(string TypeName, string? PropertyName);

/// <summary>A JsonSerializerContext named with [assembly: TemJsonContext].</summary>
/// <param name="IncludesFields">Whether its [JsonSourceGenerationOptions] sets IncludeFields, so public fields are written.</param>
internal sealed record JsonContextModel(string TypeName, EquatableArray<CoveredType> CoveredTypes, bool IncludesFields);

/// <summary>Assembly-wide inputs: where to emit and which JSON contexts to use.</summary>
internal sealed record AssemblySettings(
    string Namespace,
    EquatableArray<JsonContextModel> JsonContexts,
    EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>How the generated code obtains a type's JsonTypeInfo.</summary>
/// <param name="Expression">A C# expression of type JsonTypeInfo&lt;T&gt;.</param>
/// <param name="IsTemContext">Whether it comes from Tem's own emitted context.</param>
internal sealed record JsonSource(string Expression, bool IsTemContext = false);

/// <summary>A handler ready to emit, with its descriptor name and JSON sources resolved.</summary>
internal sealed record EmittedHandler(
    HandlerModel Handler,
    string DescriptorName,
    JsonSource PayloadJson,
    JsonSource? ResultJson,
    bool IsPublic);

/// <summary>A containing type whose instances come from a factory.</summary>
internal sealed record InstanceType(string TypeName, string ParameterName, bool IsPublic);

/// <summary>Every handler model of the compilation, without source locations (the emission pipeline's input).</summary>
/// <param name="Handlers">The handlers that parsed into a model.</param>
/// <param name="HasAnyHandlerAttribute">Whether any method carries [TemHandler], even one that did not parse.</param>
internal sealed record HandlerSet(EquatableArray<HandlerModel> Handlers, bool HasAnyHandlerAttribute);

/// <summary>Everything the emitter needs for one compilation.</summary>
internal sealed record GenerationModel(
    string Namespace,
    bool HasAnyHandlerAttribute,
    EquatableArray<JsonTypeModel> JsonTypes,
    EquatableArray<EmittedHandler> Handlers,
    EquatableArray<InstanceType> InstanceTypes);
