using Tem.Execution;

namespace Tem.Storage;

/// <summary>
/// What one store transaction changed, as the rules that ran in it recorded it: work became claimable (now or after a
/// delay), a batch changed state, a batch was cancelled. The store turns it into PostgreSQL's NOTIFY inside the
/// transaction and, once it committed, into this engine's <see cref="EngineSignals"/> — one change set feeds both, so no
/// caller signals by hand after a write. A transaction that is run again (a transient error) starts a fresh set.
/// </summary>
internal sealed class StoreChanges
{
    private List<TimeSpan>? _workDueIn;
    private List<long>? _cancelled;

    /// <summary>Delays after which work this transaction made claimable is due (zero: now), each once.</summary>
    public IReadOnlyList<TimeSpan> WorkDueIn => _workDueIn ?? (IReadOnlyList<TimeSpan>)[];

    /// <summary>Batches this transaction cancelled.</summary>
    public IReadOnlyList<long> Cancelled => _cancelled ?? (IReadOnlyList<long>)[];

    /// <summary>A batch changed state (completed, interrupted, resumed, steered): waiters look again.</summary>
    public bool BatchChanged { get; private set; }

    /// <summary>Tasks this transaction added (PostgreSQL's planner statistics follow them).</summary>
    public long Added { get; private set; }

    public bool IsEmpty => _workDueIn is null && _cancelled is null && !BatchChanged;

    public void TasksAdded(long count) => Added += count;

    /// <summary>Work can be claimed after <paramref name="dueIn"/> (zero or less: now).</summary>
    public void WorkAvailable(TimeSpan dueIn)
    {
        dueIn = dueIn < TimeSpan.Zero ? TimeSpan.Zero : dueIn;
        _workDueIn ??= [];
        if (!_workDueIn.Contains(dueIn))
        {
            _workDueIn.Add(dueIn);
        }
    }

    public void Changed() => BatchChanged = true;

    public void Cancel(long batchId)
    {
        _cancelled ??= [];
        if (!_cancelled.Contains(batchId))
        {
            _cancelled.Add(batchId);
        }

        BatchChanged = true;
    }

    /// <summary>Passes the committed changes to this engine's signals (none attached: a store used without an engine).</summary>
    public void PublishTo(EngineSignals? signals)
    {
        if (signals is null || IsEmpty)
        {
            return;
        }

        foreach (var dueIn in WorkDueIn)
        {
            signals.WorkAvailable(dueIn > TimeSpan.Zero ? dueIn : null);
        }

        foreach (var batchId in Cancelled)
        {
            signals.Cancelled(batchId);
        }

        signals.BatchChanged();
    }
}
