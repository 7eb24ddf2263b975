namespace Tem.Execution;

/// <summary>
/// What one part of an engine tells the others, in one place: work is available (now or at a due time), a batch
/// changed (waiters look again), a batch was cancelled (its handlers stop). Services and the worker raise them; a
/// store may raise them too (PostgreSQL's LISTEN/NOTIFY brings other machines' changes).
/// </summary>
internal sealed class EngineSignals
{
    private readonly TimeProvider _time;
    private readonly PriorityQueue<long, long> _due = new();
    private TaskCompletionSource _nextChange = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EngineSignals(TimeProvider time) => _time = time;

    /// <summary>Hooks tests await (null unless a test enabled them).</summary>
    public TestSignals? Test { get; set; }

    /// <summary>The dispatcher's wake-up: set many times before a wait, it wakes the wait once.</summary>
    public WakeSignal Work { get; } = new();

    /// <summary>Raised when a batch is cancelled, with its id.</summary>
    public event Action<long>? BatchCancelled;

    /// <summary>Completes at the next <see cref="BatchChanged"/>.</summary>
    public Task NextChange => Volatile.Read(ref _nextChange).Task;

    /// <summary>Task states changed: every waiter looks again.</summary>
    public void BatchChanged()
        => Interlocked.Exchange(ref _nextChange, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Work can be claimed now, or, with <paramref name="delay"/>, that long from now. Call it after the write that
    /// made the work committed: the store stamped its due time no later than this clock reads now.
    /// </summary>
    public void WorkAvailable(TimeSpan? delay = null)
    {
        if (delay is { } d && d > TimeSpan.Zero)
        {
            var dueMs = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)Math.Ceiling(d.TotalMilliseconds) + 1;
            lock (_due)
            {
                _due.Enqueue(dueMs, dueMs);
            }
        }

        Work.Set();
    }

    public void Cancelled(long batchId) => BatchCancelled?.Invoke(batchId);

    /// <summary>Why the engine can no longer work (its database is gone), or null. Waiters throw it.</summary>
    public Exception? Fatal { get; private set; }

    public void Fail(Exception reason)
    {
        Fatal ??= reason;
        BatchChanged();
    }

    /// <summary>
    /// Forgets every due time at or before <paramref name="nowMs"/> (the caller claims right after, with a clock that
    /// reads no earlier) and returns how long until the next one, or null when none is known.
    /// </summary>
    public TimeSpan? TakeDue(long nowMs)
    {
        lock (_due)
        {
            while (_due.TryPeek(out _, out var dueMs))
            {
                if (dueMs > nowMs)
                {
                    return TimeSpan.FromMilliseconds(dueMs - nowMs);
                }

                _due.Dequeue();
            }

            return null;
        }
    }
}
