using System.Text.Json;
using Tem.Execution;
using Tem.Llm;
using Tem.ProviderBatches;
using Tem.Storage;

namespace Tem;

/// <summary>
/// Claims tasks and runs them through registered handlers: a concurrency slot first, then a rate-limit permit, then
/// the claim (one statement for many rows) and the handler; outcomes are written in grouped transactions. The path of
/// one task: <see cref="Dispatcher"/> claims it, <see cref="TaskRunner"/> runs it, <see cref="OutcomePolicy"/> judges
/// the end, <see cref="OutcomeWriter"/> writes it, and the store's batch rules complete or interrupt its batch;
/// <see cref="LeaseKeeper"/> keeps its lease while it is in flight.
/// </summary>
public sealed class TemWorker
{
    private readonly WorkerContext _context;
    private readonly Dictionary<string, HandlerEntry> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LlmTaskEntry> _llmTasks = new(StringComparer.Ordinal);
    private readonly object _lifecycle = new();
    private WorkerRun? _run;
    private SubmissionWorker? _submissions;

    internal TemWorker(ITemStore store, TemOptions options, EngineSignals signals, TimeProvider time, ProviderLimits limits)
    {
        _context = new WorkerContext(store, options, signals, time, WorkerLiveness.NewIdentity());
        Limits = limits;
    }

    /// <summary>The engine's pacing of provider calls per limit group, which <see cref="ProviderRateLimitHandler"/> uses.</summary>
    internal ProviderLimits Limits { get; }

    /// <summary>The lease owner this worker writes into the tasks it claims.</summary>
    public string Owner => _context.Identity.Owner;

    /// <summary>Whether the worker is claiming and running tasks.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_lifecycle)
            {
                return _run is { IsStopping: false };
            }
        }
    }

    /// <summary>
    /// True while the worker starts nothing because its database has not answered for longer than
    /// <see cref="TemOptions.LeaseDuration"/>: its leases may have expired and other workers may own its tasks. Running
    /// handlers go on and their outcomes are written when the database answers again; claiming then resumes by itself.
    /// The worker logs both moments. False while the worker is stopped.
    /// </summary>
    public bool IsPausedByDatabaseOutage => Volatile.Read(ref _run)?.Leases.ClaimsPaused ?? false;

    /// <summary>The task types with a registered handler.</summary>
    public IReadOnlyCollection<string> TaskTypes => _handlers.Keys;

    /// <summary>Concurrency slots taken: handlers running now, and finished ones whose outcome is not yet written.</summary>
    public int InFlight => Volatile.Read(ref _run)?.InFlight ?? 0;

    /// <summary>Whether this worker holds a claimed run of <paramref name="batchId"/> whose outcome is not yet written.</summary>
    internal bool HoldsRunOf(long batchId) => Volatile.Read(ref _run)?.HoldsRunOf(batchId) ?? false;

    /// <summary>How many handlers may run at once now: <see cref="TemOptions.Concurrency"/>, or less while
    /// <see cref="TemOptions.AdaptiveConcurrency"/> backs off after the provider refused requests.</summary>
    public int EffectiveConcurrency => _context.Pacing.Concurrency;

    /// <summary>The start rate and concurrency control that <see cref="ProviderRateLimitHandler"/> feeds.</summary>
    internal ProviderPacing Pacing => _context.Pacing;

    /// <summary>
    /// Starts no task for <paramref name="delay"/>: for a provider that reported its limit exhausted
    /// (see <see cref="ProviderRateLimitHandler"/>). Running tasks are not affected.
    /// </summary>
    public void PauseStarts(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            _context.Pacing.Pause(delay);
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
            var payload = ReadPayload(taskType, json);
            context.MarkHandlerStarting();
            var result = await handler(payload, context, cancellationToken).ConfigureAwait(false);
            try
            {
                return StrictJson.Serialize(result, taskType.ResultTypeInfo);
            }
            catch (Exception ex) when (ex is UnpairedSurrogateException or NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
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
            var payload = ReadPayload(taskType, json);
            context.MarkHandlerStarting();
            await handler(payload, context, cancellationToken).ConfigureAwait(false);
            return null;
        }));
    }

    /// <summary>
    /// Registers an LLM task: Tem builds each task's request with <paramref name="task"/> and sends it to
    /// <paramref name="endpoint"/> by its batch's <see cref="LlmRoute"/> — live, paced by <see cref="ProviderLimits"/>, or
    /// through the provider's batch API at half the price — then reads the result with it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The worker is running, or the type already has a handler.</exception>
    public void RegisterLlm<TPayload, TResult>(TaskType<TPayload, TResult> taskType, ILlmTask<TPayload, TResult> task, LlmEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(endpoint);
        var entry = LlmTaskEntry.Of(taskType, task, endpoint);
        var live = new LiveLlmCall(new HttpClient(new ProviderRateLimitHandler(this) { InnerHandler = new SocketsHttpHandler() }, disposeHandler: true));
        Register(taskType, async (payload, context, cancellationToken) =>
        {
            var response = await live.SendAsync(endpoint, task.BuildRequest(payload), cancellationToken).ConfigureAwait(false);
            return task.ReadResponse(payload, response);
        });
        lock (_lifecycle)
        {
            _llmTasks[taskType.Name] = entry;
        }
    }

    /// <summary>Registers every handler of <paramref name="registry"/>.</summary>
    public void Register(ITemHandlerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.RegisterWith(this);
    }

    /// <summary>Starts claiming and running tasks. Returns once the loops run; if a stop is under way, after it ends.</summary>
    /// <exception cref="InvalidOperationException">No handler is registered.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task? previousStop;
            lock (_lifecycle)
            {
                if (_run is { IsStopping: false })
                {
                    return;
                }

                if (_run is null && _handlers.Count == 0)
                {
                    throw new InvalidOperationException("The worker has no handlers. Register them before StartAsync: pass TemHandlers.Registry to TemEngine.Open, or call Worker.Register.");
                }

                previousStop = _run?.Stopped;
            }

            if (previousStop is not null)
            {
                await previousStop.ConfigureAwait(false);
                ForgetRun(previousStop);
                continue;
            }

            // The heartbeat is written before the first claim, so another process's ResumeAsync sees this worker alive.
            var identity = _context.Identity with { TaskTypes = [.. _handlers.Keys.Order(StringComparer.Ordinal)], Scope = WorkerInfo.DescribeScope(_context.Options.Scope) };
            await _context.Store.HeartbeatAsync(identity, [], _context.Options.LeaseDuration, cancellationToken).ConfigureAwait(false);
            lock (_lifecycle)
            {
                if (_run is not null)
                {
                    continue; // another StartAsync won the race; look again
                }

                var routed = _llmTasks.Count == 0 ? null
                    : JsonSerializer.Serialize(_llmTasks.Keys.Order(StringComparer.Ordinal).ToArray(), TemCoreJsonContext.Default.StringArray);
                _run = new WorkerRun(_context, new Dictionary<string, HandlerEntry>(_handlers, StringComparer.Ordinal), routed);
                WorkerLiveness.Started(Owner);
                _run.Start();
                if (routed is not null && _context.Store is IProviderSubmissionStore submissions)
                {
                    _submissions = new SubmissionWorker(_context, submissions, new Dictionary<string, LlmTaskEntry>(_llmTasks, StringComparer.Ordinal), _run.Scope);
                    _submissions.Start();
                }

                return;
            }
        }
    }

    /// <summary>
    /// Stops gracefully: no new claims; in-flight handlers get <paramref name="timeout"/> (default 30 s) to finish, then
    /// are cancelled and their tasks returned to pending without using an attempt. Every outcome is written before it
    /// returns (retried while the database refuses, for up to as long again). Overlapping calls share one stop.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public Task StopAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (limit < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The stop timeout must be zero or positive (TimeSpan.MaxValue waits as long as handlers run).");
        }

        return StopRunAsync(limit < TemOptions.MaxTimer ? limit : Timeout.InfiniteTimeSpan, abandon: false);
    }

    /// <summary>Stops every loop without writing anything more, as a killed process would (tests only).</summary>
    internal Task AbandonAsync() => StopRunAsync(TimeSpan.Zero, abandon: true);

    private async Task StopRunAsync(TimeSpan timeout, bool abandon)
    {
        Task stop;
        Task? submissionsStop;
        lock (_lifecycle)
        {
            if (_run is null)
            {
                return;
            }

            if (abandon)
            {
                WorkerLiveness.Stopped(Owner);
            }

            stop = _run.StopAsync(timeout, abandon);
            submissionsStop = _submissions?.StopAsync();
            _submissions = null;
        }

        await stop.ConfigureAwait(false);
        if (submissionsStop is not null)
        {
            await submissionsStop.ConfigureAwait(false);
        }

        ForgetRun(stop);
    }

    /// <summary>Clears the run that <paramref name="stop"/> finished, unless a new one took its place.</summary>
    private void ForgetRun(Task stop)
    {
        lock (_lifecycle)
        {
            if (_run?.Stopped == stop)
            {
                _run = null;
                WorkerLiveness.Stopped(Owner);
            }
        }
    }

    private void Add(HandlerEntry entry)
    {
        lock (_lifecycle)
        {
            if (_run is not null)
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
}
