namespace Tem;

/// <summary>
/// Names a <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> whose metadata the Tem source
/// generator uses for handler payload and result types: <c>[assembly: TemJsonContext(typeof(MyJsonContext))]</c>.
/// </summary>
/// <remarks>
/// The context must carry a <c>[JsonSerializable(typeof(T))]</c> attribute for every payload and result type
/// it should describe; the generator checks this at compile time (TEM008). Several contexts may be named;
/// the first that covers a type is used.
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true, Inherited = false)]
public sealed class TemJsonContextAttribute : Attribute
{
    /// <summary>Names <paramref name="contextType"/> as a source of JSON metadata for handler types.</summary>
    /// <param name="contextType">A non-abstract <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> subclass.</param>
    public TemJsonContextAttribute(Type contextType) => ContextType = contextType;

    /// <summary>The named context type.</summary>
    public Type ContextType { get; }
}
