namespace Tem.Samples.Hosting;

/// <summary>The result of a <c>count-words</c> task.</summary>
/// <param name="DocumentId">The document counted.</param>
/// <param name="Words">Its number of whitespace-separated words.</param>
public sealed record WordCount(string DocumentId, int Words);
