using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>Creates, reads and steers batches. Reach it through <see cref="TemEngine.Batches"/>.</summary>
public sealed partial class BatchService
{
    private const int MaxCodeLength = 200;

    private readonly ITemStore _store;
    private readonly TemOptions _options;

    /// <summary>For reads kept in files of their own (BatchActivityReads).</summary>
    internal ITemStore Store => _store;

    internal BatchService(ITemStore store, TemOptions options)
    {
        _store = store;
        _options = options;
    }

    /// <summary>Creates an active batch.</summary>
    /// <param name="code">A unique tag such as "2026-02-15-llm-fix"; 1 to 200 characters.</param>
    /// <param name="type">The kind of batch, for filtering; not empty.</param>
    /// <param name="metadata">Anything worth keeping with the batch.</param>
    /// <param name="interruptionCriteria">When to interrupt the batch automatically; merged with <see cref="TemOptions.DefaultInterruptionCriteria"/> (the stricter value of each wins).</param>
    /// <param name="cancellationToken">Cancels before the batch is written.</param>
    /// <exception cref="DuplicateBatchCodeException">A batch already has <paramref name="code"/>.</exception>
    public Task<Batch> CreateAsync(string code, string type, IReadOnlyDictionary<string, string>? metadata = null,
        InterruptionCriteria? interruptionCriteria = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > MaxCodeLength)
        {
            throw new ArgumentException($"A batch code must be 1 to {MaxCodeLength} characters and not blank, such as \"2026-02-15-llm-fix\"; got '{code}'.", nameof(code));
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            throw new ArgumentException("A batch type must not be empty; it names the kind of batch, such as \"rewrite-docs\".", nameof(type));
        }

        Utf16Text.Require(code, "The batch code", nameof(code));
        Utf16Text.Require(type, "The batch type", nameof(type));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            Utf16Text.Require(key, $"The metadata key '{key}'", nameof(metadata));
            Utf16Text.Require(value, $"The metadata value of '{key}'", nameof(metadata));
        }

        interruptionCriteria?.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var criteria = InterruptionCriteria.Stricter(interruptionCriteria, _options.DefaultInterruptionCriteria);
        return _store.CreateBatchAsync(code, type, metadata is null ? null : BatchMetadata.ToJson(metadata), criteria?.ToJson(), cancellationToken).AsTask();
    }

    /// <summary>The batch with <paramref name="code"/>, or a new active one with that code and <paramref name="type"/>: the way a script resumes its own batch when run again.</summary>
    /// <exception cref="BatchTypeMismatchException">A batch has <paramref name="code"/> but another type: the code is taken by different work.</exception>
    public async Task<Batch> GetOrCreateAsync(string code, string type, IReadOnlyDictionary<string, string>? metadata = null,
        InterruptionCriteria? interruptionCriteria = null, CancellationToken cancellationToken = default)
    {
        if (await GetByCodeAsync(code, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return SameType(existing, type);
        }

        try
        {
            return await CreateAsync(code, type, metadata, interruptionCriteria, cancellationToken).ConfigureAwait(false);
        }
        catch (DuplicateBatchCodeException)
        {
            // Another process created it between the two calls.
            return SameType((await GetByCodeAsync(code, cancellationToken).ConfigureAwait(false))!, type);
        }
    }

    /// <summary>Reopening someone else's batch by its code would add this script's tasks to that work: refuse it.</summary>
    private static Batch SameType(Batch existing, string type)
        => string.Equals(existing.Type, type, StringComparison.Ordinal) ? existing : throw new BatchTypeMismatchException(existing.Code, existing.Type, type);

    /// <summary>The batch with <paramref name="batchId"/>.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public Task<Batch> GetAsync(long batchId, CancellationToken cancellationToken = default) => RequireAsync(batchId, cancellationToken);

    /// <summary>The batch with <paramref name="batchId"/>, or null if there is none (<see cref="GetAsync"/> throws instead).</summary>
    public Task<Batch?> TryGetAsync(long batchId, CancellationToken cancellationToken = default)
        => _store.GetBatchAsync(batchId, cancellationToken).AsTask();

    /// <summary>The batch with <paramref name="code"/>, or null if there is none.</summary>
    public Task<Batch?> GetByCodeAsync(string code, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        Utf16Text.Require(code, "The batch code", nameof(code)); // it would match a different code once stored
        return _store.GetBatchByCodeAsync(code, cancellationToken).AsTask();
    }

    /// <summary>Batches, oldest first, optionally only of one type or status.</summary>
    public Task<IReadOnlyList<Batch>> ListAsync(string? type = null, BatchStatus? status = null, CancellationToken cancellationToken = default)
    {
        return _store.ListBatchesAsync(type, status, cancellationToken).AsTask();
    }

    /// <summary>How many of the batch's tasks are in each status.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<BatchStats> GetStatsAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.GetStatsAsync(batchId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts, throughput, task durations, attempts and the most common errors of the batch.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="topErrors">How many distinct error texts to list (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels before the read.</param>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<BatchReport> GetReportAsync(long batchId, int topErrors = 10, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topErrors, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(topErrors, 1000);
        var batch = await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.GetReportAsync(batch, topErrors, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The batch's interruptions, newest first, each with its kind, reason and the stats at that moment.</summary>
    public async Task<IReadOnlyList<BatchInterruption>> GetInterruptionsAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.GetInterruptionsAsync(batchId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The batch's pending tasks whose type no live worker handles, per type: they wait until a worker with that
    /// handler starts. Empty when every pending task has a live handler somewhere (any process on the store).
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<IReadOnlyList<UnhandledTasks>> GetUnhandledAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        var pending = await _store.GetPendingTypesAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return [];
        }

        var workers = await _store.ListLiveWorkersAsync(cancellationToken).ConfigureAwait(false);
        var alive = WorkerLiveness.Alive(workers).ToHashSet(StringComparer.Ordinal);
        var handled = workers.Where(w => alive.Contains(w.Owner)).SelectMany(w => w.TaskTypes).ToHashSet(StringComparer.Ordinal);
        return [.. pending.Where(p => !handled.Contains(p.Type)).Select(p => new UnhandledTasks(p.Type, p.Count))];
    }

    /// <summary>What was done to the batch — resumed, failures retried, cancelled, interrupted, one task steered — newest first.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<IReadOnlyList<BatchEvent>> GetHistoryAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.GetHistoryAsync(batchId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes the batch active again and returns its running tasks that no live worker holds to pending: the recovery
    /// after a crash, without waiting for leases to expire. A worker is live while its heartbeat is fresh — and, on
    /// this machine, while its process exists — so calling this while other processes or machines work the batch is
    /// safe: their tasks are left alone. The lost run used its attempt, so a task that was on its last attempt fails
    /// instead (a task that crashes its process cannot loop forever), and a returned task waits a moment (1 s or
    /// <see cref="RetryOptions.BaseDelay"/>, doubling per attempt, at most a lease) so a restart does not rerun the
    /// same tasks first. On an interrupted batch this is the explicit way back: it becomes active, its criteria's
    /// counters start again, and its history says so. Returns the number of tasks reset or failed.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled.</exception>
    public async Task<int> ResumeAsync(long batchId, CancellationToken cancellationToken = default)
    {
        var live = WorkerLiveness.Alive(await _store.ListLiveWorkersAsync(cancellationToken).ConfigureAwait(false));
        // The store signals what the resume changed (work available, the batch changed) from the rules' change set.
        return await _store.ResumeBatchAsync(batchId, live, _options.LostRunDelay, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the batch's failed tasks to pending with their attempts reset (after a fix) and makes it active. Returns how many.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled.</exception>
    public Task<int> RetryFailedAsync(long batchId, CancellationToken cancellationToken = default)
        => _store.RetryFailedAsync(batchId, cancellationToken).AsTask();

    /// <summary>Cancels the batch: its pending and running tasks become cancelled, and running handlers in this process are cancelled. Returns how many tasks.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public Task<int> CancelAsync(long batchId, CancellationToken cancellationToken = default)
        => _store.CancelBatchAsync(batchId, cancellationToken).AsTask(); // its change set stops this process's handlers

    /// <summary>Interrupts an active batch: its pending tasks wait until <see cref="ResumeAsync"/>. Returns false if it was not active.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<bool> InterruptAsync(long batchId, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ArgumentException("Give a reason for the interruption; it is kept with the batch.", nameof(reason));
        }

        Utf16Text.Require(reason, "The interruption reason", nameof(reason));

        return await _store.InterruptBatchAsync(batchId, InterruptionKind.Manual, reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Batch> RequireAsync(long batchId, CancellationToken cancellationToken)
        => await _store.GetBatchAsync(batchId, cancellationToken).ConfigureAwait(false)
            ?? throw new BatchNotFoundException($"No batch has id {batchId}. Batch ids come from Batches.CreateAsync, GetByCodeAsync or ListAsync.");
}
