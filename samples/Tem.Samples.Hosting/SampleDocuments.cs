namespace Tem.Samples.Hosting;

/// <summary>The documents the sample's batch works on: the same ones every run, so a second run enqueues nothing.</summary>
public static class SampleDocuments
{
    /// <summary>How many documents there are.</summary>
    public const int Count = 8;

    /// <summary>The documents, in a stable order.</summary>
    public static IEnumerable<Document> All()
        => Enumerable.Range(1, Count).Select(i => new Document(
            $"doc-{i:D2}",
            $"Document {i} describes step {i} of the migration plan, its risks, and who signs it off."));
}
