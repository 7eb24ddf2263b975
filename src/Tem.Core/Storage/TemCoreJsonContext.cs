using System.Text.Json.Serialization;

namespace Tem;

/// <summary>JSON metadata for the few shapes the engine writes itself.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(Dictionary<string, ModelPrice>))]
internal sealed partial class TemCoreJsonContext : JsonSerializerContext;
