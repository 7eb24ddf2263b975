using System.Text.Json;
using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>Enqueues and reads tasks. Reach it through <see cref="TemEngine.Tasks"/>.</summary>
public sealed class TaskService
{
    /// <summary>Rows per staged chunk of a large enqueue: each is one short transaction, serialised outside it.</summary>
    internal const int ChunkSize = 4096;

    /// <summary>Distinct due times of one enqueue that the worker is told about; later ones are found by polling.</summary>
    private const int DueTimesNoted = 256;

    /// <summary>The longest delay an enqueue may ask for (a run-after time must stay a date .NET can represent).</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(36_500);

    private readonly ITemStore _store;
    private readonly TemOptions _options;
    private readonly EngineSignals _signals;

    internal TaskService(ITemStore store, TemOptions options, EngineSignals signals)
    {
        _store = store;
        _options = options;
        _signals = signals;
    }

    /// <summary>Enqueues one task. Returns its id; with an idempotency key the batch already has, nothing is added and the existing task's id is returned.</summary>
    /// <exception cref="BatchNotFoundException">No batch has <paramref name="batchId"/>.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled or interrupted.</exception>
    public async Task<long> EnqueueAsync<TPayload>(long batchId, TaskType<TPayload> taskType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        using var activity = TemTracing.StartCreate(batchId, taskType.Name, null);
        var row = ToRow(taskType, payload, options);
        cancellationToken.ThrowIfCancellationRequested();
        var id = await _store.EnqueueOneAsync(batchId, taskType.Name, row, cancellationToken).ConfigureAwait(false); // the store signals the new work
        activity?.SetTag("messaging.message.id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return id;
    }

    /// <summary>
    /// Enqueues every payload of <paramref name="payloads"/>, all or nothing, reading the sequence once as it goes
    /// (a million payloads need no more memory than a few thousand). Payloads are serialised outside any transaction
    /// and written in short chunks that stay invisible until the last is in, so workers keep claiming and writing
    /// meanwhile. Tasks whose idempotency key the batch already has are skipped, so a script can be run again safely.
    /// </summary>
    /// <param name="batchId">The batch to add to.</param>
    /// <param name="taskType">The task type; its handler runs the tasks.</param>
    /// <param name="payloads">The payloads, streamed.</param>
    /// <param name="options">Per-payload choices (idempotency key, priority, delay, attempts); null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the enqueue; nothing of it is kept.</param>
    /// <exception cref="BatchNotFoundException">No batch has <paramref name="batchId"/>.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled or interrupted.</exception>
    public async Task<EnqueueResult> EnqueueManyAsync<TPayload>(long batchId, TaskType<TPayload> taskType, IEnumerable<TPayload> payloads,
        Func<TPayload, EnqueueOptions?>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        ArgumentNullException.ThrowIfNull(payloads);
        using var activity = TemTracing.StartCreate(batchId, taskType.Name, payloads.TryGetNonEnumeratedCount(out var count) ? count : null);
        var delays = new SortedSet<TimeSpan>();
        using var source = payloads.GetEnumerator();
        var chunk = NextChunk(source, taskType, options, delays, cancellationToken);
        EnqueueResult result;
        if (chunk.Count < ChunkSize)
        {
            result = await _store.EnqueueAsync(batchId, taskType.Name, chunk, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await StageAndCommitAsync(batchId, taskType, source, chunk, options, delays, cancellationToken).ConfigureAwait(false);
        }

        // The store signalled the new work from the enqueue's change set; the due times of delayed rows, staged in
        // transactions of their own, are known only here.
        foreach (var delay in delays)
        {
            _signals.WorkAvailable(delay);
        }

        activity?.SetTag("tem.tasks.inserted", result.Inserted);
        return result;
    }

    /// <summary>
    /// A large enqueue: each chunk is staged in its own transaction while the next is serialised, then every staged
    /// row becomes pending in one statement. On any error the staged rows are deleted.
    /// </summary>
    private async Task<EnqueueResult> StageAndCommitAsync<TPayload>(long batchId, TaskType<TPayload> taskType, IEnumerator<TPayload> source,
        List<NewTask> chunk, Func<TPayload, EnqueueOptions?>? options, SortedSet<TimeSpan> delays, CancellationToken cancellationToken)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        long total = 0;
        Task<long>? staging = null;
        try
        {
            while (chunk.Count > 0)
            {
                var toWrite = chunk;
                total += toWrite.Count;
                staging = Task.Run(() => _store.StageAsync(batchId, taskType.Name, token, toWrite, cancellationToken).AsTask(), cancellationToken);
                chunk = toWrite.Count < ChunkSize ? [] : NextChunk(source, taskType, options, delays, cancellationToken);
                await staging.ConfigureAwait(false);
            }

            var inserted = await _store.CommitStagedAsync(batchId, taskType.Name, token, cancellationToken).ConfigureAwait(false);
            return new EnqueueResult(inserted, total - inserted);
        }
        catch
        {
            if (staging is not null)
            {
                await staging.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }

            await _store.AbortStagedAsync(token, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads and serialises up to <see cref="ChunkSize"/> payloads: the caller's code runs here, outside any transaction.</summary>
    private List<NewTask> NextChunk<TPayload>(IEnumerator<TPayload> source, TaskType<TPayload> taskType, Func<TPayload, EnqueueOptions?>? options,
        SortedSet<TimeSpan> delays, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var chunk = new List<NewTask>(ChunkSize);
        while (chunk.Count < ChunkSize && source.MoveNext())
        {
            var payload = source.Current;
            var row = ToRow(taskType, payload, options?.Invoke(payload));
            if (row.Delay > TimeSpan.Zero && (delays.Count < DueTimesNoted || row.Delay < delays.Max))
            {
                delays.Add(row.Delay);
                if (delays.Count > DueTimesNoted)
                {
                    delays.Remove(delays.Max);
                }
            }

            chunk.Add(row);
        }

        return chunk;
    }

    /// <summary>The task with id <paramref name="taskId"/>.</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    public async Task<TemTask> GetAsync(long taskId, CancellationToken cancellationToken = default)
        => await _store.GetTaskAsync(taskId, cancellationToken).ConfigureAwait(false) ?? throw new TaskNotFoundException(taskId);

    /// <summary>The task's earlier attempts that did not end its life — each failure with its stack trace, each refusal, each run lost to a crash, each result replaced by a re-run — oldest first.</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    public async Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(long taskId, CancellationToken cancellationToken = default)
    {
        await GetAsync(taskId, cancellationToken).ConfigureAwait(false);
        return await _store.GetAttemptsAsync(taskId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one failed task again with fresh attempts (after a fix). Returns false if the task is not failed.</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    /// <exception cref="BatchNotActiveException">Its batch is cancelled.</exception>
    public Task<bool> RetryAsync(long taskId, CancellationToken cancellationToken = default)
        => _store.RetryTaskAsync(taskId, cancellationToken).AsTask();

    /// <summary>Cancels one pending task: it will not run. Returns false if the task is not pending (a running task ends with its batch's cancel or its timeout).</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    /// <exception cref="BatchNotActiveException">Its batch is cancelled.</exception>
    public Task<bool> CancelAsync(long taskId, CancellationToken cancellationToken = default)
        => _store.CancelTaskAsync(taskId, cancellationToken).AsTask();

    /// <summary>
    /// Runs one completed task again with fresh attempts; its old result is kept in its attempt history
    /// (<see cref="GetAttemptsAsync"/>). Returns false if the task is not completed.
    /// </summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    /// <exception cref="BatchNotActiveException">Its batch is cancelled.</exception>
    public Task<bool> RerunAsync(long taskId, CancellationToken cancellationToken = default)
        => _store.RerunTaskAsync(taskId, cancellationToken).AsTask(); // steering signals from the store's change set

    /// <summary>The task with id <paramref name="taskId"/>, or null if there is none (<see cref="GetAsync"/> throws instead).</summary>
    public Task<TemTask?> TryGetAsync(long taskId, CancellationToken cancellationToken = default)
        => _store.GetTaskAsync(taskId, cancellationToken).AsTask();

    /// <summary>The first 100 tasks of a batch in id order: the shorthand for a <see cref="TaskQuery"/> with only <see cref="TaskQuery.BatchId"/>.</summary>
    public Task<IReadOnlyList<TemTask>> ListAsync(long batchId)
        => ListAsync(new TaskQuery { BatchId = batchId });

    /// <summary>Tasks matching <paramref name="query"/>, in id order.</summary>
    public Task<IReadOnlyList<TemTask>> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "TaskQuery.Limit must be between 1 and 10,000; page with AfterId.");
        }

        return _store.ListTasksAsync(query, cancellationToken).AsTask();
    }

    /// <summary>The typed result of a completed task.</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    /// <exception cref="TemException">The task is not completed, or belongs to another task type.</exception>
    public async Task<TResult> GetResultAsync<TPayload, TResult>(long taskId, TaskType<TPayload, TResult> taskType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        var task = await GetAsync(taskId, cancellationToken).ConfigureAwait(false);
        if (task.Type != taskType.Name)
        {
            throw new TemException($"Task {taskId} is of type '{task.Type}', not '{taskType.Name}'. Read it with the matching TaskType.");
        }

        if (task.Status != TemTaskStatus.Completed || task.ResultJson is null)
        {
            throw new TemException($"Task {taskId} has no result: it is {task.Status.ToString().ToLowerInvariant()}{(task.Error is null ? "" : $" (last error: {task.Error})")}. Wait for its batch first.");
        }

        return JsonSerializer.Deserialize(task.ResultJson, taskType.ResultTypeInfo)!;
    }

    private static string Serialize<TPayload>(TaskType<TPayload> taskType, TPayload payload)
    {
        try
        {
            return StrictJson.Serialize(payload, taskType.PayloadTypeInfo);
        }
        catch (UnpairedSurrogateException ex)
        {
            throw new TemException($"A payload of task type '{taskType.Name}' cannot be stored: {Utf16Text.Describe("one of its strings", ex.Surrogate, ex.Index)} Nothing of this enqueue was stored.", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            // ArgumentException: System.Text.Json refuses NaN and infinities unless the context allows them as strings.
            throw new TemException($"A payload of task type '{taskType.Name}' cannot be written as JSON: {ex.Message} Fix the value (or allow it in your JsonSerializerContext's options). Nothing of this enqueue was stored.", ex);
        }
    }

    private NewTask ToRow<TPayload>(TaskType<TPayload> taskType, TPayload payload, EnqueueOptions? choice)
    {
        var maxAttempts = choice?.MaxAttempts ?? taskType.MaxAttempts ?? _options.DefaultMaxAttempts;
        if (maxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(choice), maxAttempts, "EnqueueOptions.MaxAttempts must be at least 1.");
        }

        if (choice?.Delay is { } delay && (delay < TimeSpan.Zero || delay > MaxDelay))
        {
            throw new ArgumentOutOfRangeException(nameof(choice), delay, $"EnqueueOptions.Delay must be between zero and {MaxDelay.TotalDays:0} days.");
        }

        Utf16Text.Require(choice?.IdempotencyKey, "EnqueueOptions.IdempotencyKey", nameof(choice));
        return new NewTask(Serialize(taskType, payload), maxAttempts, choice?.Priority ?? taskType.Priority, choice?.Delay ?? TimeSpan.Zero, choice?.IdempotencyKey,
            TemTracing.CurrentTraceParent());
    }
}
