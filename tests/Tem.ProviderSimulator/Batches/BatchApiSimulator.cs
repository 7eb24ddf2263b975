using Microsoft.AspNetCore.Builder;

namespace Tem.ProviderSimulator.Batches;

/// <summary>
/// The provider batch APIs of a <see cref="ProviderSimulator"/>: OpenAI's <c>/v1/files</c> + <c>/v1/batches</c> and
/// Anthropic's <c>/v1/messages/batches</c>, sharing one set of <see cref="Counters"/>.
/// </summary>
public sealed class BatchApiSimulator
{
    internal BatchApiSimulator(WebApplication app, BatchSimulatorOptions options)
    {
        _ = new OpenAiBatchApi(app, options, Counters);
        _ = new AnthropicBatchApi(app, options, Counters);
    }

    /// <summary>What the batch endpoints received: uploads, batches, and submissions per custom_id.</summary>
    public BatchApiCounters Counters { get; } = new();
}
