using System.Collections.Concurrent;
using System.Text.Json;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>
/// Claims tasks from the database and runs them through registered handlers: a concurrency slot
/// first, then a rate-limit permit, then the claim (one statement for many rows) and the handler.
/// Outcomes are written by one writer in grouped transactions.
/// </summary>
public sealed class TemWorker
{
    private readonly ITemStore _store;
    private readonly TemOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChangeNotifier _changes;
    private readonly Dictionary<string, HandlerEntry> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, (long BatchId, CancellationTokenSource Cancel)> _running = new();
    private readonly WakeSignal _wake = new();
    private readonly ConcurrentDictionary<long, string> _batchCodes = new();
    private readonly object _lifecycle = new();
    private readonly ProviderPacing _pacing;

    private Channel<TaskOutcome>? _outcomes;
    private CancellationTokenSource? _stopDispatch;
    private CancellationTokenSource? _hardStop;
    private Task _dispatchLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private Task _leaseLoop = Task.CompletedTask;
    private string _typesJson = "[]";
    private int _inFlight;
    private long _nextDueMs = long.MaxValue;
    private volatile bool _abandoned;

    internal TemWorker(ITemStore store, TemOptions options, ChangeNotifier changes, TimeProvider time)
    {
        _store = store;
        _options = options;
        _changes = changes;
        _time = time;
        _logger = options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _pacing = new ProviderPacing(options, time, () => InFlight);
        Owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}"[..^24];
        TemTelemetry.Meter.CreateObservableGauge("tem.tasks.running", () => new Measurement<int>(InFlight, new KeyValuePair<string, object?>("tem.worker", Owner)),
            "{task}", "Handlers running now in this worker.");
        TemTelemetry.Meter.CreateObservableGauge("tem.tasks.pending", () => new Measurement<long>(IsRunning ? _store.CountPending() : 0, new KeyValuePair<string, object?>("tem.worker", Owner)),
            "{task}", "Tasks waiting to run in the database.");
    }

    /// <summary>The lease owner this worker writes into the tasks it claims.</summary>
    public string Owner { get; }

    /// <summary>Whether the worker is claiming and running tasks.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The task types with a registered handler.</summary>
    public IReadOnlyCollection<string> TaskTypes => _handlers.Keys;

    /// <summary>Concurrency slots taken: handlers running now, and finished ones whose outcome is not yet written.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>How many handlers may run at once now: <see cref="TemOptions.Concurrency"/>, or less while
    /// <see cref="TemOptions.AdaptiveConcurrency"/> backs off after the provider refused requests.</summary>
    public int EffectiveConcurrency => _pacing.Concurrency;

    /// <summary>The start rate and concurrency control that <see cref="ProviderRateLimitHandler"/> feeds.</summary>
    internal ProviderPacing Pacing => _pacing;

    /// <summary>
    /// Starts no task for <paramref name="delay"/>: for a provider that reported its limit exhausted
    /// (see <see cref="ProviderRateLimitHandler"/>). Running tasks are not affected.
    /// </summary>
    public void PauseStarts(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            _pacing.Pause(delay);
        }
    }

    /// <summary>Registers the handler of a task type that returns a result.</summary>
    /// <exception cref="InvalidOperationException">The worker is running, or the type already has a handler.</exception>
    public void Register<TPayload, TResult>(TaskType<TPayload, TResult> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask<TResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        ArgumentNullException.ThrowIfNull(handler);
        Add(new HandlerEntry(taskType.Name, taskType.Timeout, async (json, context, cancellationToken) =>
        {
            var result = await handler(ReadPayload(taskType, json), context, cancellationToken).ConfigureAwait(false);
            try
            {
                return JsonSerializer.Serialize(result, taskType.ResultTypeInfo);
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
            {
                throw new ResultFormatException($"The result of task type '{taskType.Name}' cannot be written as JSON: {ex.Message}", ex);
            }
        }));
    }

    /// <summary>Registers the handler of a task type that returns no result.</summary>
    /// <exception cref="InvalidOperationException">The worker is running, or the type already has a handler.</exception>
    public void Register<TPayload>(TaskType<TPayload> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        ArgumentNullException.ThrowIfNull(handler);
        Add(new HandlerEntry(taskType.Name, taskType.Timeout, async (json, context, cancellationToken) =>
        {
            await handler(ReadPayload(taskType, json), context, cancellationToken).ConfigureAwait(false);
            return null;
        }));
    }

    /// <summary>Registers every handler of <paramref name="registry"/>.</summary>
    public void Register(ITemHandlerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.RegisterWith(this);
    }

    /// <summary>Starts claiming and running tasks. Returns once the loops run.</summary>
    /// <exception cref="InvalidOperationException">No handler is registered.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lifecycle)
        {
            if (IsRunning)
            {
                return Task.CompletedTask;
            }

            if (_handlers.Count == 0)
            {
                throw new InvalidOperationException("The worker has no handlers. Register them before StartAsync: pass TemHandlers.Registry to TemEngine.Open, or call Worker.Register.");
            }

            _typesJson = JsonSerializer.Serialize(_handlers.Keys.Order(StringComparer.Ordinal).ToArray(), TemCoreJsonContext.Default.StringArray);
            _outcomes = Channel.CreateUnbounded<TaskOutcome>(new UnboundedChannelOptions { SingleReader = true });
            _stopDispatch = new CancellationTokenSource();
            _hardStop = new CancellationTokenSource();
            _writeLoop = Task.Run(() => WriteLoopAsync(_outcomes.Reader));
            _leaseLoop = Task.Run(() => LeaseLoopAsync(_stopDispatch.Token));
            _dispatchLoop = Task.Run(() => DispatchLoopAsync(_stopDispatch.Token));
            IsRunning = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: no new claims; in-flight handlers get <paramref name="timeout"/> (default 30 s) to finish,
    /// then are cancelled and their tasks returned to pending without using an attempt. No task of this worker is left running.
    /// </summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        Task dispatch, write, lease;
        lock (_lifecycle)
        {
            if (!IsRunning)
            {
                return;
            }

            IsRunning = false;
            _stopDispatch!.Cancel();
            dispatch = _dispatchLoop;
            write = _writeLoop;
            lease = _leaseLoop;
        }

        await dispatch.ConfigureAwait(false);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = _time.GetTimestamp() + (long)(limit.TotalSeconds * _time.TimestampFrequency);
        while (InFlight > 0 && _time.GetTimestamp() < deadline)
        {
            await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
        }

        if (InFlight > 0)
        {
            Log.StopTimedOut(_logger, InFlight, limit);
            _hardStop!.Cancel();
            while (InFlight > 0)
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
            }
        }

        _outcomes!.Writer.TryComplete();
        await write.ConfigureAwait(false);
        await lease.ConfigureAwait(false);
        if (!_abandoned)
        {
            // A handler that ignored cancellation may still hold a row; hand it back.
            _store.ReleaseOwned(Owner, NowMs());
        }

        _changes.Pulse();
    }

    /// <summary>Wakes an idle dispatcher: new work was enqueued in this process.</summary>
    internal void Wake(long? dueAtMs = null)
    {
        if (dueAtMs is { } due)
        {
            NoteDue(due);
        }

        _wake.Set();
    }

    /// <summary>Cancels the handlers running tasks of a cancelled batch.</summary>
    internal void CancelBatchRuns(long batchId)
    {
        foreach (var (_, run) in _running)
        {
            if (run.BatchId == batchId)
            {
                run.Cancel.Cancel();
            }
        }
    }

    /// <summary>Stops every loop without writing anything more, as a killed process would (tests only).</summary>
    internal async Task AbandonAsync()
    {
        _abandoned = true;
        if (IsRunning)
        {
            _hardStop?.Cancel();
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    private void Add(HandlerEntry entry)
    {
        lock (_lifecycle)
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"Cannot register a handler for '{entry.TaskType}' while the worker runs. Register every handler before StartAsync.");
            }

            if (!_handlers.TryAdd(entry.TaskType, entry))
            {
                throw new InvalidOperationException($"Task type '{entry.TaskType}' already has a handler. Each task type has exactly one handler; rename one of them.");
            }
        }
    }

    private static TPayload ReadPayload<TPayload>(TaskType<TPayload> taskType, string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, taskType.PayloadTypeInfo)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new PayloadFormatException($"The stored payload does not parse as {typeof(TPayload).Name} for task type '{taskType.Name}': {ex.Message} Fix the payload row, then retry the task.", ex);
        }
    }

    private async Task DispatchLoopAsync(CancellationToken stopping)
    {
        var leaseMs = (long)_options.LeaseDuration.TotalMilliseconds;
        var tickets = new List<RateTicket>();
        while (!stopping.IsCancellationRequested)
        {
            var wait = _options.PollInterval;
            var free = _pacing.Concurrency - InFlight;
            var permitBlocked = false;
            if (free > 0)
            {
                tickets.Clear();
                var granted = _pacing.TryAcquire(free, tickets, out var retryIn);
                if (granted == 0)
                {
                    wait = retryIn < wait ? retryIn : wait;
                    permitBlocked = true;
                }
                else
                {
                    IReadOnlyList<ClaimedTask> claimed;
                    try
                    {
                        var now = NowMs();
                        claimed = _store.Claim(Owner, _typesJson, granted, now, now + leaseMs);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.ClaimFailed(_logger, ex);
                        claimed = [];
                    }

                    _pacing.Refund(tickets.Skip(claimed.Count).ToList());
                    for (var i = 0; i < claimed.Count; i++)
                    {
                        var (task, ticket) = (claimed[i], tickets[i]);
                        Interlocked.Increment(ref _inFlight);
                        _ = Task.Run(() => RunAsync(task, ticket));
                    }

                    if (claimed.Count == granted)
                    {
                        continue; // there may be more: look again at once
                    }

                    var untilDue = Volatile.Read(ref _nextDueMs) - NowMs();
                    if (untilDue <= 0)
                    {
                        Interlocked.Exchange(ref _nextDueMs, long.MaxValue);
                    }
                    else if (untilDue < wait.TotalMilliseconds)
                    {
                        wait = TimeSpan.FromMilliseconds(untilDue);
                    }
                }
            }

            var waitStarted = Stopwatch.GetTimestamp();
            try
            {
                await _wake.WaitAsync(wait, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (permitBlocked || free <= 0)
            {
                (permitBlocked ? TemTelemetry.PermitWait : TemTelemetry.SlotWait).Record(Stopwatch.GetElapsedTime(waitStarted).TotalSeconds);
            }
        }
    }

    private async Task RunAsync(ClaimedTask task, RateTicket ticket)
    {
        var entry = _handlers[task.Type];
        var timeout = entry.Timeout ?? _options.DefaultTimeout;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_hardStop!.Token);
        _running[task.Id] = (task.BatchId, cancel);
        using var activity = TemTelemetry.Source.StartActivity("tem.task " + task.Type);
        if (activity is not null)
        {
            activity.SetTag("tem.task.type", task.Type);
            activity.SetTag("tem.task.id", task.Id);
            activity.SetTag("tem.batch.id", task.BatchId);
            activity.SetTag("tem.batch.code", BatchCode(task.BatchId));
            activity.SetTag("tem.task.attempt", task.Attempt);
        }

        TemTelemetry.Started.Add(1, new KeyValuePair<string, object?>("tem.task.type", task.Type));
        var started = Stopwatch.GetTimestamp();
        TaskOutcome outcome;
        try
        {
            cancel.CancelAfter(timeout);
            var context = new TaskContext(task.Id, task.BatchId, task.Type, task.Attempt, task.MaxAttempts, task.IdempotencyKey,
                _pacing.Tokens.IsUnlimited ? null : _pacing.Tokens, _pacing.Gate, ticket);
            TaskContext.Current.Value = context;
            _pacing.OnStarted(ticket); // the reserved permit is logged as the handler starts
            // WaitAsync frees the slot at the timeout even if the handler ignores its token.
            var result = await entry.Invoke(task.Payload, context, cancel.Token).AsTask().WaitAsync(cancel.Token).ConfigureAwait(false);
            outcome = Outcome(task, OutcomeKind.Completed, result: result);
            _pacing.OnSucceeded();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            outcome = _hardStop.IsCancellationRequested
                ? Outcome(task, OutcomeKind.Released)
                : RetryOrFail(task, $"Timed out after {timeout.TotalSeconds:0.###} s (attempt {task.Attempt} of {task.MaxAttempts}).");
        }
        catch (RetryAfterException ex)
        {
            var delay = _pacing.OnRefused(ex, task.RateLimitDeferrals); // slows down as the refusal's kind says
            outcome = task.RateLimitDeferrals < _options.MaxRateLimitDeferrals
                ? Outcome(task, OutcomeKind.Deferred, error: Describe(ex), runAfterMs: NowMs() + (long)delay.TotalMilliseconds)
                : RetryOrFail(task, $"Rate-limited {task.RateLimitDeferrals + 1} times (more than MaxRateLimitDeferrals = {_options.MaxRateLimitDeferrals}); counted as a failed attempt. {Describe(ex)}");
        }
        catch (Exception ex) when (ex is NonRetryableException or PayloadFormatException or ResultFormatException)
        {
            outcome = Outcome(task, OutcomeKind.Failed, error: Describe(ex));
        }
        catch (Exception ex)
        {
            outcome = RetryOrFail(task, Describe(ex));
        }
        finally
        {
            _running.TryRemove(task.Id, out _);
        }

        if (outcome.Kind is OutcomeKind.Retry or OutcomeKind.Deferred)
        {
            NoteDue(outcome.RunAfterMs);
        }

        TemTelemetry.Record(task.Type, outcome.Kind, Stopwatch.GetElapsedTime(started));
        if (activity is not null)
        {
            activity.SetTag("tem.task.outcome", TemTelemetry.OutcomeName(outcome.Kind));
            if (outcome.Kind is not OutcomeKind.Completed)
            {
                activity.SetStatus(outcome.Kind == OutcomeKind.Released ? ActivityStatusCode.Unset : ActivityStatusCode.Error, outcome.Error);
            }
        }

        Log.TaskEnded(_logger, task.Id, task.Attempt, outcome.Kind.ToString());

        // The slot stays taken until the write loop has committed the outcome: a task whose outcome is only in
        // memory is still 'running' in the file and runs again after a crash, so counting it keeps the number
        // of such tasks, and the repeats after a kill, within Concurrency.
        if (_abandoned || !_outcomes!.Writer.TryWrite(outcome))
        {
            Interlocked.Decrement(ref _inFlight);
            _wake.Set();
        }
    }

    private string BatchCode(long batchId)
        => _batchCodes.GetOrAdd(batchId, id => _store.GetBatch(id)?.Code ?? "");

    private TaskOutcome RetryOrFail(ClaimedTask task, string error)
    {
        if (task.Attempt >= task.MaxAttempts)
        {
            return Outcome(task, OutcomeKind.Failed, error: error);
        }

        var delay = _options.Retry.DelayAfter(task.Attempt, Random.Shared.NextDouble());
        return Outcome(task, OutcomeKind.Retry, error: error, runAfterMs: NowMs() + (long)delay.TotalMilliseconds);
    }

    private static TaskOutcome Outcome(ClaimedTask task, OutcomeKind kind, string? result = null, string? error = null, long runAfterMs = 0)
        => new(task.Id, task.BatchId, task.Version, kind, result, error, runAfterMs);

    private static string Describe(Exception ex) => ex switch
    {
        PayloadFormatException or ResultFormatException => ex.Message,
        _ => $"{ex.GetType().FullName}: {ex.Message}",
    };

    private async Task WriteLoopAsync(ChannelReader<TaskOutcome> reader)
    {
        var group = new List<TaskOutcome>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Whatever arrived while the previous group committed goes into this one. While handlers that are
            // already queued on the thread pool may end within microseconds, yield to them before committing:
            // each group is a transaction, and a group of a few outcomes pays its fixed cost for little.
            var yields = 0;
            while (true)
            {
                var before = group.Count;
                while (group.Count < 2048 && reader.TryRead(out var outcome))
                {
                    group.Add(outcome);
                }

                if (yields >= 4 || group.Count == before && yields > 0 || group.Count >= _pacing.Concurrency / 4 || InFlight <= group.Count || _abandoned)
                {
                    break;
                }

                yields++;
                await Task.Yield();
            }

            if (_abandoned)
            {
                Interlocked.Add(ref _inFlight, -group.Count);
                group.Clear();
                continue;
            }

            try
            {
                foreach (var rejected in _store.ApplyOutcomes(group, NowMs()))
                {
                    Log.OutcomeRejected(_logger, rejected.TaskId, rejected.Kind.ToString(), rejected.Version);
                }
            }
            catch (Exception ex)
            {
                Log.OutcomeWriteFailed(_logger, group.Count, ex);
            }

            Interlocked.Add(ref _inFlight, -group.Count); // these slots are free now that their outcomes are written
            group.Clear();
            _changes.Pulse();
            _wake.Set();
        }
    }

    private async Task LeaseLoopAsync(CancellationToken stopping)
    {
        var tick = _options.LeaseDuration / 3;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                var now = NowMs();
                _store.RenewLeases(Owner, now + (long)_options.LeaseDuration.TotalMilliseconds);
                var recovered = _store.RecoverExpiredLeases(now);
                var interrupted = _store.InterruptOverdueBatches(now);
                if (recovered > 0)
                {
                    Log.LeasesRecovered(_logger, recovered);
                    _wake.Set();
                }

                if (recovered > 0 || interrupted > 0)
                {
                    _changes.Pulse();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.LeaseUpkeepFailed(_logger, ex);
            }
        }
    }

    private void NoteDue(long dueMs)
    {
        var current = Volatile.Read(ref _nextDueMs);
        while (dueMs < current)
        {
            var seen = Interlocked.CompareExchange(ref _nextDueMs, dueMs, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
