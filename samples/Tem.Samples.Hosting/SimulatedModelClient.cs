using System.Collections.Concurrent;

namespace Tem.Samples.Hosting;

/// <summary>Answers after a short delay; fails the first call for every fourth document with a transient error, so
/// the report shows retries. Registered as a singleton, which is what lets it remember the first calls.</summary>
public sealed class SimulatedModelClient : IModelClient
{
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<string> SummarizeAsync(string documentId, string text, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(30), cancellationToken).ConfigureAwait(false);
        var firstCall = _seen.TryAdd(documentId, true);
        if (firstCall && documentId[^1] is ('4' or '8'))
        {
            throw new HttpRequestException($"503 Service Unavailable (simulated) for {documentId}.");
        }

        var sentence = text.Split(',')[0];
        return sentence.EndsWith('.') ? sentence : sentence + ".";
    }
}
