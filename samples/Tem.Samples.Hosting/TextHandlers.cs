namespace Tem.Samples.Hosting;

/// <summary>Static handlers: no instance, so nothing to resolve from the container.</summary>
public static class TextHandlers
{
    /// <summary>Counts a document's words; pure, so it never needs a retry.</summary>
    [TemHandler("count-words")]
    public static Task<WordCount> CountWords(Document document, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var words = document.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return Task.FromResult(new WordCount(document.Id, words));
    }
}
