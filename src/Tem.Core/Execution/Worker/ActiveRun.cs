namespace Tem.Execution;

/// <summary>
/// One claimed task while it holds a concurrency slot: from the claim until its outcome is written (or known to need
/// no write). Its id is what the lease keeper renews, so only runs really in flight keep their leases.
/// </summary>
internal sealed class ActiveRun(long taskId, long batchId, long version, long claimSentAt, CancellationToken hardStop)
{
    private int _batchCancelled;

    public long TaskId { get; } = taskId;

    public long BatchId { get; } = batchId;

    /// <summary>The row version this claim set: with the id, it names this run and no other claim of the same task.</summary>
    public long Version { get; } = version;

    /// <summary>When the claim's statement was sent (the worker's clock): its lease was stamped no earlier.</summary>
    public long ClaimSentAt { get; } = claimSentAt;

    /// <summary>When the run took its slot, read once it is among the ids heartbeats renew: a heartbeat sent later renewed its lease.</summary>
    public long AdmittedAt { get; set; } = long.MaxValue;

    /// <summary>Cancels the handler: at its timeout, on a hard stop (linked), or when its batch is cancelled.</summary>
    public CancellationTokenSource Cancel { get; } = CancellationTokenSource.CreateLinkedTokenSource(hardStop);

    /// <summary>Whether the handler was cancelled because its batch was; its row is already cancelled, so nothing is written.</summary>
    public bool BatchCancelled => Volatile.Read(ref _batchCancelled) != 0;

    public void CancelForBatch()
    {
        Volatile.Write(ref _batchCancelled, 1);
        try
        {
            Cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended and freed its slot meanwhile: nothing left to cancel.
        }
    }
}
