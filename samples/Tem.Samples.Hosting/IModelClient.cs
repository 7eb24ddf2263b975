namespace Tem.Samples.Hosting;

/// <summary>The sample's stand-in for an LLM API client; a real app would register one built on HttpClient.</summary>
public interface IModelClient
{
    /// <summary>Asks the model for a one-line summary of <paramref name="text"/>.</summary>
    /// <param name="documentId">Which document the text comes from.</param>
    /// <param name="text">The text to summarize.</param>
    /// <param name="cancellationToken">Cancelled when the task times out or the worker stops.</param>
    Task<string> SummarizeAsync(string documentId, string text, CancellationToken cancellationToken);
}
