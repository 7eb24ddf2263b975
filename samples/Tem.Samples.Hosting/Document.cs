namespace Tem.Samples.Hosting;

/// <summary>The payload of both task types: one document of the batch.</summary>
/// <param name="Id">Stable across runs, so it can serve as the idempotency key.</param>
/// <param name="Text">What to summarize and count.</param>
public sealed record Document(string Id, string Text);
