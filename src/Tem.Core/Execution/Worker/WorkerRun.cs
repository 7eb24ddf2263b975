using System.Collections.Concurrent;
using System.Threading.Channels;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Everything one start of a worker owns, created by <see cref="TemWorker.StartAsync"/> and finished by its stop:
/// the slots (claimed runs until their outcome is written), the outcome channel, the cancellation sources and the
/// three loops. A later start makes a new one, so a stop can never finish another run's state.
/// </summary>
internal sealed class WorkerRun
{
    // Keyed by claim (task id and the version the claim set), not by task: a task released or reclaimed here while its
    // earlier run's outcome is still being written holds two slots, and freeing the earlier one must not free the later.
    private readonly ConcurrentDictionary<(long TaskId, long Version), ActiveRun> _active = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopUpkeep = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly CancellationTokenSource _giveUpWrites = new();
    private readonly object _stopLock = new();
    private readonly SemaphoreSlim _refillGate = new(1, 1);
    private TaskCompletionSource _handlerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _handlersRunning;
    private Task? _stopped;
    private Task _dispatch = Task.CompletedTask;
    private Task _write = Task.CompletedTask;
    private Task _upkeep = Task.CompletedTask;

    public WorkerRun(WorkerContext context, IReadOnlyDictionary<string, HandlerEntry> handlers, string? routedTypesJson = null)
    {
        Context = context;
        Handlers = handlers;
        TaskTypes = [.. handlers.Keys.Order(StringComparer.Ordinal)];
        Scope = ClaimScope.Of(context.Options.Scope) with { RoutedTypesJson = routedTypesJson };
        Identity = context.Identity with { TaskTypes = TaskTypes, Scope = WorkerInfo.DescribeScope(context.Options.Scope) };
        Outcomes = Channel.CreateUnbounded<TaskOutcome>(new UnboundedChannelOptions { SingleReader = true });
        Leases = new LeaseGuard(context);
    }

    /// <summary>Whether the database has answered recently enough for this run's leases to hold (claims pause when not).</summary>
    public LeaseGuard Leases { get; }

    public WorkerContext Context { get; }

    public IReadOnlyDictionary<string, HandlerEntry> Handlers { get; }

    public IReadOnlyList<string> TaskTypes { get; }

    /// <summary>This worker as its heartbeat records it, with the task types it handles.</summary>
    public WorkerIdentity Identity { get; }

    /// <summary>The batches this worker claims from (<see cref="TemOptions.Scope"/>).</summary>
    public ClaimScope Scope { get; }

    public Channel<TaskOutcome> Outcomes { get; }

    /// <summary>Slots taken: handlers running, and ended runs whose outcome is not yet written.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public int HandlersRunning => Volatile.Read(ref _handlersRunning);

    public bool IsStopping => Volatile.Read(ref _stopped) is not null;

    /// <summary>The stop under way or done, or null while the run runs.</summary>
    public Task? Stopped => Volatile.Read(ref _stopped);

    /// <summary>Set when the worker is dropped as a killed process would be (tests): nothing more is written.</summary>
    public bool Abandoned { get; private set; }

    public CancellationToken HardStop => _hardStop.Token;

    /// <summary>Cancelled when a stop gives up on outcomes that cannot be written.</summary>
    public CancellationToken GiveUpWrites => _giveUpWrites.Token;

    /// <summary>The ids of the runs holding a slot: the leases worth renewing.</summary>
    public IEnumerable<long> ActiveIds => _active.Keys.Select(key => key.TaskId).Distinct();

    public void Start()
    {
        Context.Signals.BatchCancelled += CancelBatchRuns;
        WorkerGauges.Track(this);
        _write = Task.Run(() => OutcomeWriter.RunAsync(this));
        _upkeep = Task.Run(() => LeaseKeeper.RunAsync(this, _stopUpkeep.Token));
        _dispatch = Task.Run(() => Dispatcher.RunAsync(this, _stopClaiming.Token));
    }

    /// <summary>
    /// Enters the outcome writer's claim for the slots its group frees, unless claiming has stopped. A stop takes the
    /// gate for good once the dispatcher is done, so every task claimed this way is admitted before the stop counts
    /// running handlers. Pair a true result with <see cref="EndRefill"/>.
    /// </summary>
    public bool TryBeginRefill()
    {
        // No refill while the database has been silent past the lease either (LeaseGuard), as for the dispatcher; and
        // none under a shared limit, which grants only in its own claim (SharedRateGate): the dispatcher fills those slots.
        if (_stopClaiming.IsCancellationRequested || Leases.ClaimsPaused || Context.SharedLimit is not null || !_refillGate.Wait(0))
        {
            return false;
        }

        if (_stopClaiming.IsCancellationRequested)
        {
            _refillGate.Release();
            return false;
        }

        return true;
    }

    public void EndRefill() => _refillGate.Release();

    /// <summary>Claims nothing more: the database is gone. Running handlers finish; the stop still has to be called.</summary>
    public void StopClaiming() => _stopClaiming.Cancel();

    /// <summary>Takes a slot for a task claimed by a statement sent at <paramref name="claimSentAt"/>; the runner must end in <see cref="HandlerEnded"/>.</summary>
    public ActiveRun Admit(ClaimedTask task, long claimSentAt)
    {
        var active = new ActiveRun(task.Id, task.BatchId, task.Version, claimSentAt, _hardStop.Token);
        _active[(task.Id, task.Version)] = active;
        active.AdmittedAt = Context.Time.GetTimestamp(); // after the id is listed: a heartbeat sent from now on renews it
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _handlersRunning);
        return active;
    }

    /// <summary>
    /// The handler of <paramref name="active"/> ended. Its slot stays taken until the outcome is written: a task
    /// whose outcome is only in memory is still running in the database and runs again after a crash, so counting it
    /// keeps such repeats within Concurrency. With nothing to write, the slot is freed now.
    /// </summary>
    public void HandlerEnded(ActiveRun active, TaskOutcome? outcome)
    {
        if (outcome is null || Abandoned || !Outcomes.Writer.TryWrite(outcome.Value))
        {
            FreeSlot(active.TaskId, active.Version);
        }

        Interlocked.Decrement(ref _handlersRunning);
        Interlocked.Exchange(ref _handlerEnded, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Frees the slot of the claim (<paramref name="taskId"/>, <paramref name="version"/>) whose outcome is written (or needs no write) and wakes the dispatcher.</summary>
    public void FreeSlot(long taskId, long version)
    {
        if (_active.TryRemove((taskId, version), out var active))
        {
            active.Cancel.Dispose();
            Interlocked.Decrement(ref _inFlight);
            if (active.BatchCancelled)
            {
                Context.Signals.BatchChanged(); // nothing was written for it, and a waiter may be waiting for it to end
            }
        }

        Context.Signals.Work.Set();
    }

    /// <summary>
    /// Whether a run of <paramref name="batchId"/> holds a slot here: its row is running in the database, so the batch
    /// is not finished, and a waiter need not ask the database (one round trip per outcome group on PostgreSQL).
    /// Runs of a cancelled batch, and every run once a stop began, do not count: a handler that ignores its token may
    /// go on long after its row stopped running, and the waiter must not wait for it.
    /// </summary>
    public bool HoldsRunOf(long batchId)
    {
        if (IsStopping)
        {
            return false;
        }

        foreach (var (_, active) in _active)
        {
            if (active.BatchId == batchId && !active.BatchCancelled)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Stops this run once: every caller gets the same task, whatever its timeout.</summary>
    public Task StopAsync(TimeSpan timeout, bool abandon)
    {
        lock (_stopLock)
        {
            if (abandon)
            {
                Abandoned = true;
                _hardStop.Cancel();
            }

            return _stopped ??= StopCoreAsync(timeout);
        }
    }

    private async Task StopCoreAsync(TimeSpan timeout)
    {
        var logger = Context.Logger;
        _stopClaiming.Cancel();
        await _dispatch.ConfigureAwait(false);
        await _refillGate.WaitAsync().ConfigureAwait(false); // never released: this run claims nothing more

        if (!await WaitForHandlersAsync(timeout).ConfigureAwait(false))
        {
            Log.StopTimedOut(logger, HandlersRunning, timeout);
            _hardStop.Cancel();
            // Handlers see their token; one that blocks its thread without looking cannot be waited for forever.
            if (!await WaitForHandlersAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
            {
                Log.HandlersAbandoned(logger, HandlersRunning);
            }
        }

        Outcomes.Writer.TryComplete();
        // Outcomes are retried until written; at a stop, for as long again as handlers had, at least 30 s.
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _giveUpWrites.CancelAfter(timeout > TimeSpan.FromSeconds(30) ? timeout : TimeSpan.FromSeconds(30));
        }
        await _write.ConfigureAwait(false);
        _stopUpkeep.Cancel();
        await _upkeep.ConfigureAwait(false);
        Context.Signals.BatchCancelled -= CancelBatchRuns;
        WorkerGauges.Untrack(this);
        if (!Abandoned)
        {
            try
            {
                await Context.Store.RemoveWorkerAsync(Context.Identity.Owner, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.LeaseUpkeepFailed(logger, ex);
            }
        }

        Context.Signals.BatchChanged();
    }

    /// <summary>Waits until no handler runs, or <paramref name="limit"/> passes (infinite: never); true if none runs.</summary>
    private async Task<bool> WaitForHandlersAsync(TimeSpan limit)
    {
        var deadline = limit == Timeout.InfiniteTimeSpan ? long.MaxValue
            : Context.Time.GetTimestamp() + (long)(limit.TotalSeconds * Context.Time.TimestampFrequency);
        while (HandlersRunning > 0)
        {
            var left = deadline == long.MaxValue ? TimeSpan.FromSeconds(1) : Context.Time.GetElapsedTime(Context.Time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            var ended = Volatile.Read(ref _handlerEnded).Task;
            if (HandlersRunning == 0)
            {
                break;
            }

            // Poll as well: a pulse between the count and the read is not lost for longer than 50 ms.
            await Task.WhenAny(ended, Task.Delay(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50))).ConfigureAwait(false);
        }

        return true;
    }

    private void CancelBatchRuns(long batchId)
    {
        foreach (var active in _active.Values)
        {
            if (active.BatchId == batchId)
            {
                active.CancelForBatch();
            }
        }
    }
}
