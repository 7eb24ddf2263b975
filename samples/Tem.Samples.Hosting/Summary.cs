namespace Tem.Samples.Hosting;

/// <summary>The result of a <c>summarize</c> task.</summary>
/// <param name="DocumentId">The document summarized.</param>
/// <param name="Text">The summary the model returned.</param>
/// <param name="Attempt">The attempt that succeeded (above 1 when a transient error was retried).</param>
public sealed record Summary(string DocumentId, string Text, int Attempt);
