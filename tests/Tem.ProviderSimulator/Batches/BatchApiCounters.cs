using System.Collections.Concurrent;

namespace Tem.ProviderSimulator.Batches;

/// <summary>What the batch APIs received, so that a test can prove nothing was submitted twice.</summary>
public sealed class BatchApiCounters
{
    private readonly ConcurrentDictionary<string, int> _submissions = new(StringComparer.Ordinal);
    private long _files, _batches, _cancels, _refused;

    /// <summary>Files uploaded to <c>/v1/files</c>.</summary>
    public long FilesUploaded => Interlocked.Read(ref _files);

    /// <summary>Provider batches accepted (both APIs).</summary>
    public long BatchesCreated => Interlocked.Read(ref _batches);

    /// <summary>Cancel calls that reached a batch.</summary>
    public long Cancels => Interlocked.Read(ref _cancels);

    /// <summary>Create calls refused with a 4xx.</summary>
    public long CreatesRefused => Interlocked.Read(ref _refused);

    /// <summary>How many accepted batches carried this <c>custom_id</c> (0 if none).</summary>
    public int Submissions(string customId) => _submissions.TryGetValue(customId, out var n) ? n : 0;

    /// <summary>Every custom_id submitted more than once, with its count.</summary>
    public IReadOnlyDictionary<string, int> SubmittedMoreThanOnce()
        => _submissions.Where(p => p.Value > 1).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Distinct custom_ids submitted.</summary>
    public int DistinctSubmitted => _submissions.Count;

    internal void FileUploaded() => Interlocked.Increment(ref _files);

    internal void Cancelled() => Interlocked.Increment(ref _cancels);

    internal void Refused() => Interlocked.Increment(ref _refused);

    internal void BatchCreated(IEnumerable<string> customIds)
    {
        Interlocked.Increment(ref _batches);
        foreach (var id in customIds)
        {
            _submissions.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
    }
}
