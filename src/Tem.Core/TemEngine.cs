using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>The entry point: one store (a SQLite file, or another database), its batches and tasks, and the worker that runs them.</summary>
public sealed class TemEngine : IAsyncDisposable
{
    private readonly ITemStore _store;
    private readonly TemOptions _options;
    private readonly EngineSignals _signals;
    private readonly object _disposeLock = new();
    private Task? _disposed;
    private BatchEndWatcher? _endWatcher;

    private TemEngine(ITemStore store, TemOptions options, TimeProvider time)
    {
        _store = store;
        _options = options;
        _signals = new EngineSignals(time);
        (store as IStoreSignalSource)?.Attach(_signals); // the store's change sets, and other processes' changes where it hears of them
        ProviderLimits = options.ProviderLimits ?? new ProviderLimits(new ProviderLimitsOptions
        {
            MaxRetryAfter = options.MaxRetryAfter,
            LearnFromBareRefusals = options.AdaptiveConcurrency ?? options.RateLimit is null,
        }, time);
        ProviderLimits.AttachStore(store); // groups with a SharedName share their windows and Retry-After pause here
        Worker = new TemWorker(store, options, _signals, time, ProviderLimits);
        Tasks = new TaskService(store, options, _signals);
        Batches = new BatchService(store, options);
    }

    /// <summary>Creates, reads and steers batches.</summary>
    public BatchService Batches { get; }

    /// <summary>Enqueues and reads tasks.</summary>
    public TaskService Tasks { get; }

    /// <summary>Runs tasks; start it with <see cref="TemWorker.StartAsync"/>.</summary>
    public TemWorker Worker { get; }

    /// <summary>The pacing of provider calls per limit group: <see cref="TemOptions.ProviderLimits"/>, or the engine's own. Its <see cref="ProviderLimits.Snapshot"/> shows each group.</summary>
    public ProviderLimits ProviderLimits { get; }

    /// <summary>
    /// The store this engine runs on, as a person reads it: the SQLite file's path, or for PostgreSQL the server,
    /// database and schema (never the password).
    /// </summary>
    public string StoreDescription => _store.Description;

    /// <summary>
    /// The same text as <see cref="StoreDescription"/>, kept for code written before it: a path only on SQLite (on
    /// PostgreSQL it never was one). Use <see cref="StoreDescription"/>.
    /// </summary>
    public string DatabasePath => _store.Description;

    /// <summary>
    /// Opens (or creates) the store in <paramref name="options"/>, migrates it, returns tasks whose lease expired to
    /// pending, and registers <paramref name="registry"/>'s handlers.
    /// </summary>
    /// <exception cref="TemConfigurationException">An option is out of range.</exception>
    /// <exception cref="TemDatabaseException">The database is not Tem's, is from a newer Tem, or cannot be written.</exception>
    public static ValueTask<TemEngine> OpenAsync(TemOptions options, ITemHandlerRegistry? registry = null, CancellationToken cancellationToken = default)
        => OpenOnClockAsync(options, registry, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Opens the engine on <paramref name="time"/>: every component (store times on SQLite, worker timers, leases held
    /// in memory, pacing, signals) reads this clock, so a test can hold it (FakeTimeProvider) instead of sleeping.
    /// Internal on purpose, not a TemOptions member: on PostgreSQL lease and recovery times come from the database's
    /// clock, which no TimeProvider moves, so a public clock option would be honoured by one store and not the other;
    /// and a user has no reason to run the engine on any clock but the system's.
    /// </summary>
    internal static async ValueTask<TemEngine> OpenOnClockAsync(TemOptions options, ITemHandlerRegistry? registry, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        var storeOptions = options.ResolveStore();
        var store = await storeOptions.OpenAsync(time, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!storeOptions.IsReadOnly)
            {
                await store.RecoverExpiredLeasesAsync(options.LostRunDelay, cancellationToken).ConfigureAwait(false);
            }

            var engine = new TemEngine(store, options, time);
            if (registry is not null)
            {
                engine.Worker.Register(registry);
            }

            if (options.OnBatchEnded is { } onBatchEnded)
            {
                engine._endWatcher = await BatchEndWatcher.StartAsync(store, engine._signals, onBatchEnded, options.PollInterval, engine.Logger, cancellationToken)
                    .ConfigureAwait(false);
            }

            return engine;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the store synchronously: the same as <see cref="OpenAsync"/>, for code that cannot await (SQLite opens
    /// synchronously anyway).
    /// </summary>
    /// <exception cref="TemConfigurationException">An option is out of range.</exception>
    /// <exception cref="TemDatabaseException">The database is not Tem's, is from a newer Tem, or cannot be written.</exception>
    public static TemEngine Open(TemOptions options, ITemHandlerRegistry? registry = null)
        => OpenAsync(options, registry).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Waits until the batch has nothing pending or running — or, if it is interrupted or cancelled, nothing
    /// running — and returns its stats. Pending tasks of a type no live worker handles keep it waiting; the engine's
    /// logger warns about them at once and every minute, naming the type and the count.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public Task<BatchStats> WaitForBatchAsync(long batchId, CancellationToken cancellationToken = default)
        => WaitCoreAsync(batchId, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Waits as <see cref="WaitForBatchAsync(long, CancellationToken)"/> does, but throws
    /// <see cref="UnhandledTasksException"/> once pending tasks have had no live worker to run them for
    /// <paramref name="unhandledTimeout"/> (no worker started anywhere, or none with a handler for their type).
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    /// <exception cref="UnhandledTasksException">Tasks waited that long with nothing to run them.</exception>
    public Task<BatchStats> WaitForBatchOrThrowAsync(long batchId, TimeSpan unhandledTimeout, CancellationToken cancellationToken = default)
    {
        if (unhandledTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(unhandledTimeout), unhandledTimeout, "The timeout must be zero or positive.");
        }

        return WaitCoreAsync(batchId, unhandledTimeout, cancellationToken);
    }

    private async Task<BatchStats> WaitCoreAsync(long batchId, TimeSpan unhandledTimeout, CancellationToken cancellationToken)
    {
        var batch = await Batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        var watch = new UnhandledWatch(this, batch, unhandledTimeout);
        while (true)
        {
            var change = _signals.NextChange;
            if (_signals.Fatal is { } fatal)
            {
                throw new TemDatabaseException(fatal.Message, fatal);
            }

            // A run of the batch in flight here means a running row: not finished, and no need to ask the database.
            // The write that frees its slot raises the next change.
            if (!Worker.HoldsRunOf(batchId) && await IsFinishedAsync(batchId, cancellationToken).ConfigureAwait(false))
            {
                return await Batches.GetStatsAsync(batchId, cancellationToken).ConfigureAwait(false);
            }

            await watch.CheckAsync(cancellationToken).ConfigureAwait(false);

            // Changes in this process wake us at once; the poll catches other processes. WaitAsync's timer is
            // disposed as soon as either completes.
            try
            {
                await change.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>The store, for the reads in other files (<see cref="WorkerReads"/>).</summary>
    internal ITemStore Store => _store;

    /// <summary>The logger the options name, or the default one (warnings and errors to standard error).</summary>
    internal Microsoft.Extensions.Logging.ILogger Logger => _options.EffectiveLogger;

    /// <summary>
    /// Samples the batch's progress every <paramref name="interval"/> (default 1 s) until nothing is left to run —
    /// the same end as <see cref="WaitForBatchAsync(long, CancellationToken)"/> — for a live progress bar. The last sample has <see cref="BatchProgress.IsFinished"/> set.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async IAsyncEnumerable<BatchProgress> WatchBatchAsync(long batchId, TimeSpan? interval = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var every = interval ?? TimeSpan.FromSeconds(1);
        if (every <= TimeSpan.Zero || every > TemOptions.MaxTimer)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be positive and at most 24 days.");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        long? doneAtStart = null;
        while (true)
        {
            var stats = await Batches.GetStatsAsync(batchId, cancellationToken).ConfigureAwait(false);
            var done = stats.Completed + stats.Failed + stats.Cancelled;
            doneAtStart ??= done;
            var seconds = clock.Elapsed.TotalSeconds;
            var rate = seconds > 0 ? (done - doneAtStart.Value) / seconds : 0;
            var left = stats.Pending + stats.Running;
            var finished = await IsFinishedAsync(batchId, cancellationToken).ConfigureAwait(false);
            yield return new BatchProgress(stats, clock.Elapsed, rate, rate > 0 ? TimeSpan.FromSeconds(left / rate) : null, finished);
            if (finished)
            {
                yield break;
            }

            await Task.Delay(every, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the worker gracefully (see <see cref="TemWorker.StopAsync"/>) and closes the store. Every caller awaits the same disposal.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_disposeLock)
        {
            _disposed ??= DisposeCoreAsync(() => Worker.StopAsync(), watcher => watcher.DisposeAsync().AsTask());
            return new ValueTask(_disposed);
        }
    }

    /// <summary>Turns on the hooks tests await instead of sleeping (tests only); call before starting the worker.</summary>
    internal TestSignals EnableTestSignals() => _signals.Test ??= new TestSignals();

    /// <summary>Drops the engine as a killed process would: nothing more is written and nothing released (tests only).</summary>
    internal Task SimulateCrashAsync()
    {
        lock (_disposeLock)
        {
            return _disposed ??= DisposeCoreAsync(Worker.AbandonAsync, watcher => watcher.AbandonAsync());
        }
    }

    /// <summary>Never throws: at disposal nothing the caller could fix is left, so problems are logged.</summary>
    private async Task DisposeCoreAsync(Func<Task> stopWorker, Func<BatchEndWatcher, Task> stopWatcher)
    {
        var logger = _options.EffectiveLogger;
        try
        {
            await stopWorker().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DisposeFailed(logger, ex);
        }

        ProviderLimits.DetachStore(_store); // the limits may outlive the engine; its store is closing

        // After the worker: the ends its last outcomes decided are reported before the store closes.
        if (_endWatcher is { } watcher)
        {
            try
            {
                await stopWatcher(watcher).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.DisposeFailed(logger, ex);
            }
        }

        try
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DisposeFailed(logger, ex);
        }
    }

    private async ValueTask<bool> IsFinishedAsync(long batchId, CancellationToken cancellationToken)
    {
        var (pending, running) = await _store.HasUnfinishedAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (running)
        {
            return false;
        }

        return !pending || (await _store.GetBatchAsync(batchId, cancellationToken).ConfigureAwait(false))?.Status is BatchStatus.Interrupted or BatchStatus.Cancelled;
    }
}
