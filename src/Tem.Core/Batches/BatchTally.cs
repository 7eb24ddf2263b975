namespace Tem;

/// <summary>
/// The outcomes of one batch within one write, in the order its runs ended: what the batch's interruption counters
/// add. A store builds one per batch per transaction and hands it to <see cref="BatchRules"/>.
/// </summary>
internal struct BatchTally
{
    /// <summary>Runs that completed.</summary>
    public long Completed;

    /// <summary>Runs that failed for good.</summary>
    public long Failed;

    /// <summary>Whether a success came in this group, which resets the run of failures.</summary>
    public bool SawSuccess;

    /// <summary>Failures after the last success of this group (or all of them, without one).</summary>
    public long FailuresSinceSuccess;

    public void Record(bool success)
    {
        if (success)
        {
            Completed++;
            SawSuccess = true;
            FailuresSinceSuccess = 0;
        }
        else
        {
            Failed++;
            FailuresSinceSuccess++;
        }
    }

    /// <summary>Counts one ended run in its batch's tally, in the order runs ended.</summary>
    public static void Add(Dictionary<long, BatchTally> tallies, long batchId, bool success)
    {
        ref var tally = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(tallies, batchId, out _);
        tally.Record(success);
    }
}
