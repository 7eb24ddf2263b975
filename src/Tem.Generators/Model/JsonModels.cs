namespace Tem.Generators.Model;

/// <summary>The shape of a type Tem describes itself with JsonMetadataServices.</summary>
internal enum JsonKind
{
    /// <summary>A built-in converter (<see cref="JsonTypeModel.Converter"/>), e.g. Int32Converter.</summary>
    Value,
    Enum,
    Nullable,
    Array,
    /// <summary>A collection created by <see cref="JsonTypeModel.CreateMethod"/> with an element type.</summary>
    Collection,
    /// <summary>A string-keyed dictionary created by <see cref="JsonTypeModel.CreateMethod"/>.</summary>
    Dictionary,
    Object,
}

/// <summary>How a property is set during deserialization.</summary>
internal enum SetterKind
{
    None,
    Set,
    Init,
}

/// <summary>A property of an object type, as System.Text.Json's generator would describe it.</summary>
internal sealed record JsonPropertyModel(
    string Name,
    string? JsonName,
    string Type,
    SetterKind Setter,
    string? IgnoreCondition,
    bool IsRequired,
    string DeclaringType,
    bool DeclaringTypeIsValueType);

/// <summary>A constructor parameter or member initializer of an object type.</summary>
internal sealed record JsonParameterModel(
    string Name,
    string Type,
    bool IsMemberInitializer,
    bool HasDefaultValue,
    string? DefaultValue,
    bool IsNullable);

/// <summary>One type of Tem's own JSON context.</summary>
/// <param name="TypeName">The <c>global::</c> type name.</param>
/// <param name="MemberName">The preferred context property name (System.Text.Json's naming).</param>
/// <param name="ElementType">Element (array, collection), value (dictionary) or underlying (nullable) type.</param>
/// <param name="CreateMethod">The JsonMetadataServices method for collections and dictionaries.</param>
/// <param name="ObjectCreator">An expression creating an empty instance, or null.</param>
internal sealed record JsonTypeModel(
    string TypeName,
    string MemberName,
    JsonKind Kind,
    string? Converter,
    string? ElementType,
    string? CreateMethod,
    string? ObjectCreator,
    EquatableArray<JsonPropertyModel> Properties,
    EquatableArray<JsonParameterModel> Parameters,
    bool ParametersAreMemberInitializersOnly);

/// <summary>A payload or result type together with every type its JSON metadata needs.</summary>
internal sealed record JsonClosure(string RootType, EquatableArray<JsonTypeModel> Types);

/// <summary>Why Tem could not describe a type: the member path where it stopped, what is wrong there, and whether
/// naming a JsonSerializerContext that covers the type would be a fix that runs.</summary>
internal sealed record JsonRefusal(string Member, string Reason, bool ContextCanHelp);

/// <summary>What describing a payload or result type gave: its closure, or why there is none.</summary>
internal sealed record JsonDescription(JsonClosure? Closure, JsonRefusal? Refusal);

/// <summary>A member System.Text.Json would silently drop (a public field, a value tuple's items): where, why, and the fix.</summary>
internal sealed record JsonLoss(string Member, string Reason, string Fix);
