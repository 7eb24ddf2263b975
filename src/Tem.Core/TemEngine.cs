using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>The entry point: one SQLite file, its batches and tasks, and the worker that runs them.</summary>
public sealed class TemEngine : IAsyncDisposable
{
    private readonly ITemStore _store;
    private readonly TemOptions _options;
    private readonly ChangeNotifier _changes;
    private int _disposed;

    private TemEngine(ITemStore store, TemOptions options, TimeProvider time)
    {
        _store = store;
        _options = options;
        _changes = new ChangeNotifier();
        Worker = new TemWorker(store, options, _changes, time);
        Tasks = new TaskService(store, options, Worker, time);
        Batches = new BatchService(store, Worker, time);
    }

    /// <summary>Creates, reads and steers batches.</summary>
    public BatchService Batches { get; }

    /// <summary>Enqueues and reads tasks.</summary>
    public TaskService Tasks { get; }

    /// <summary>Runs tasks; start it with <see cref="TemWorker.StartAsync"/>.</summary>
    public TemWorker Worker { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath => _store.Path;

    /// <summary>
    /// Opens (or creates) the database in <paramref name="options"/>, migrates it, returns tasks whose lease
    /// expired to pending, and registers <paramref name="registry"/>'s handlers.
    /// </summary>
    /// <exception cref="TemConfigurationException">An option is out of range.</exception>
    /// <exception cref="TemDatabaseException">The file is not SQLite, is from a newer Tem, or cannot be written.</exception>
    public static TemEngine Open(TemOptions options, ITemHandlerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var time = TimeProvider.System;
        var store = SqliteTemStore.Open(options.DatabasePath, options.Durability, options.BusyTimeout);
        try
        {
            store.RecoverExpiredLeases(time.GetUtcNow().ToUnixTimeMilliseconds());
            var engine = new TemEngine(store, options, time);
            if (registry is not null)
            {
                engine.Worker.Register(registry);
            }

            return engine;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the batch has nothing pending or running — or, if it is interrupted or cancelled, nothing
    /// running — and returns its stats. Pending tasks of a type no worker handles keep it waiting.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<BatchStats> WaitForBatchAsync(long batchId, CancellationToken cancellationToken = default)
    {
        var batch = await Batches.GetAsync(batchId, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var change = _changes.NextChange;
            var (pending, running) = _store.HasUnfinished(batchId);
            if (!running && (!pending || _store.GetBatch(batchId)?.Status is BatchStatus.Interrupted or BatchStatus.Cancelled))
            {
                return await Batches.GetStatsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
            }

            // Changes in this process wake us at once; the poll catches other processes.
            await Task.WhenAny(change, Task.Delay(_options.PollInterval, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Samples the batch's progress every <paramref name="interval"/> (default 1 s) until nothing is left to run —
    /// the same end as <see cref="WaitForBatchAsync"/> — for a live progress bar. The last sample has <see cref="BatchProgress.IsFinished"/> set.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async IAsyncEnumerable<BatchProgress> WatchBatchAsync(long batchId, TimeSpan? interval = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var every = interval ?? TimeSpan.FromSeconds(1);
        if (every <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be positive.");
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
            var finished = stats.Running == 0 && (left == 0 || _store.GetBatch(batchId)?.Status is BatchStatus.Interrupted or BatchStatus.Cancelled);
            yield return new BatchProgress(stats, clock.Elapsed, rate, rate > 0 ? TimeSpan.FromSeconds(left / rate) : null, finished);
            if (finished)
            {
                yield break;
            }

            await Task.Delay(every, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the worker gracefully (see <see cref="TemWorker.StopAsync"/>) and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Worker.StopAsync().ConfigureAwait(false);
        _store.Dispose();
    }

    /// <summary>Drops the engine as a killed process would: nothing more is written and nothing released (tests only).</summary>
    internal async Task SimulateCrashAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        await Worker.AbandonAsync().ConfigureAwait(false);
        _store.Dispose();
    }
}
