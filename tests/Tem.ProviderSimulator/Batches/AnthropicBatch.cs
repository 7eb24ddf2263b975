namespace Tem.ProviderSimulator.Batches;

/// <summary>One simulated Anthropic message batch: its lines in the order the simulator finishes them.</summary>
internal sealed record AnthropicBatch(string Id, BatchTimeline Timeline, IReadOnlyList<SimulatedLine> Lines);
