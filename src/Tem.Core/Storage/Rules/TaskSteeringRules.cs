namespace Tem.Storage;

/// <summary>
/// Steering one task, written once over <see cref="ITemLedger"/>: retry it after a failure, cancel it before it runs,
/// run it again after it completed. Each is one conditional transition; false (and nothing changed) when the task is
/// in another status. The batch must not be cancelled; its row is locked first (as enqueues lock it), and a completed
/// batch becomes active again when a task returns to pending (reactivation).
/// </summary>
internal static class TaskSteeringRules
{
    /// <summary>failed → pending with fresh attempts; its current error is cleared (the attempt history keeps it).</summary>
    public static ValueTask<bool> RetryAsync(ITemLedger ledger, long taskId, CancellationToken ct)
        => SteerAsync(ledger, taskId, toPending: true, "task-retried", "retried after it failed", ledger.TaskResetIfFailedAsync, ct);

    /// <summary>pending → cancelled.</summary>
    public static ValueTask<bool> CancelAsync(ITemLedger ledger, long taskId, CancellationToken ct)
        => SteerAsync(ledger, taskId, toPending: false, "task-cancelled", "cancelled before it ran", ledger.TaskCancelIfPendingAsync, ct);

    /// <summary>completed → pending with fresh attempts; the old result goes to the attempt history first.</summary>
    public static async ValueTask<bool> RerunAsync(ITemLedger ledger, long taskId, CancellationToken ct)
    {
        await ledger.TaskAttemptInsertResultAsync(taskId, ct).ConfigureAwait(false);
        return await SteerAsync(ledger, taskId, toPending: true, "task-rerun", "queued to run again after it completed; its old result is in its attempt history",
            ledger.TaskResetIfCompletedAsync, ct).ConfigureAwait(false);
    }

    private static async ValueTask<bool> SteerAsync(ITemLedger ledger, long taskId, bool toPending, string eventKind, string done,
        Func<long, CancellationToken, ValueTask<bool>> transition, CancellationToken ct)
    {
        var batchId = await ledger.TaskGetBatchIdAsync(taskId, ct).ConfigureAwait(false) ?? throw new TaskNotFoundException(taskId);
        if (await BatchLifecycleRules.RequireAsync(ledger, batchId, forUpdate: true, ct).ConfigureAwait(false) == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Task {taskId} belongs to batch {batchId}, which is cancelled; its tasks cannot be steered. Create a new batch for them.");
        }

        if (!await transition(taskId, ct).ConfigureAwait(false))
        {
            return false;
        }

        if (toPending)
        {
            await ledger.BatchReactivateAsync(batchId, ct).ConfigureAwait(false);
            ledger.Changes.WorkAvailable(TimeSpan.Zero);
        }
        else
        {
            await BatchLifecycleRules.CompleteIfDoneAsync(ledger, batchId, ct).ConfigureAwait(false);
        }

        await ledger.BatchEventInsertAsync(batchId, eventKind, $"Task {taskId} was {done}.", ct).ConfigureAwait(false);
        ledger.Changes.Changed();
        return true;
    }
}
