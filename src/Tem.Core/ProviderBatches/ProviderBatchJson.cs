using System.Text.Json.Serialization;

namespace Tem.ProviderBatches;

/// <summary>Source-generated JSON metadata of the provider batch shapes: no reflection, NativeAOT-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpenAiBatchRequestLine))]
[JsonSerializable(typeof(OpenAiFile))]
[JsonSerializable(typeof(OpenAiCreateBatchRequest))]
[JsonSerializable(typeof(OpenAiBatch))]
[JsonSerializable(typeof(OpenAiBatchPage))]
[JsonSerializable(typeof(OpenAiBatchOutputLine))]
[JsonSerializable(typeof(AnthropicCreateBatchRequest))]
[JsonSerializable(typeof(AnthropicMessageBatch))]
[JsonSerializable(typeof(AnthropicBatchPage))]
[JsonSerializable(typeof(AnthropicBatchResultLine))]
internal sealed partial class ProviderBatchJson : JsonSerializerContext;
