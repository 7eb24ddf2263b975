using System.Text.Json.Serialization;

namespace Tem;

/// <summary>JSON metadata for the few shapes the engine writes itself.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class TemCoreJsonContext : JsonSerializerContext;
