using System.Text.Json;
using Tem.Storage;

namespace Tem;

/// <summary>Enqueues and reads tasks. Reach it through <see cref="TemEngine.Tasks"/>.</summary>
public sealed class TaskService
{
    private readonly ITemStore _store;
    private readonly TemOptions _options;
    private readonly TemWorker _worker;
    private readonly TimeProvider _time;

    internal TaskService(ITemStore store, TemOptions options, TemWorker worker, TimeProvider time)
    {
        _store = store;
        _options = options;
        _worker = worker;
        _time = time;
    }

    /// <summary>Enqueues one task. Returns its id; with an idempotency key the batch already has, nothing is added and the existing task's id is returned.</summary>
    /// <exception cref="BatchNotFoundException">No batch has <paramref name="batchId"/>.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled or interrupted.</exception>
    public Task<long> EnqueueAsync<TPayload>(long batchId, TaskType<TPayload> taskType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = ToRow(taskType, payload, options, now);
        return Task.Run(() =>
        {
            var id = _store.EnqueueOne(batchId, taskType.Name, row, now);
            _worker.Wake(row.RunAfterMs > now ? row.RunAfterMs : null);
            return id;
        }, cancellationToken);
    }

    /// <summary>
    /// Enqueues every payload of <paramref name="payloads"/> in one transaction, reading the sequence once
    /// as it goes (a million payloads need no more memory than one). Tasks whose idempotency key the batch
    /// already has are skipped, so a script can be run again safely.
    /// </summary>
    /// <param name="batchId">The batch to add to.</param>
    /// <param name="taskType">The task type; its handler runs the tasks.</param>
    /// <param name="payloads">The payloads, streamed.</param>
    /// <param name="options">Per-payload choices (idempotency key, priority, delay, attempts); null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the enqueue; nothing of it is kept.</param>
    /// <exception cref="BatchNotFoundException">No batch has <paramref name="batchId"/>.</exception>
    /// <exception cref="BatchNotActiveException">The batch is cancelled or interrupted.</exception>
    public Task<EnqueueResult> EnqueueManyAsync<TPayload>(long batchId, TaskType<TPayload> taskType, IEnumerable<TPayload> payloads,
        Func<TPayload, EnqueueOptions?>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskType);
        ArgumentNullException.ThrowIfNull(payloads);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long earliestDelayed = long.MaxValue;
        IEnumerable<NewTask> Rows()
        {
            foreach (var payload in payloads)
            {
                var row = ToRow(taskType, payload, options?.Invoke(payload), now);
                if (row.RunAfterMs > now)
                {
                    earliestDelayed = Math.Min(earliestDelayed, row.RunAfterMs);
                }

                yield return row;
            }
        }

        // The store's lock and SQLite's calls are synchronous; keep them off the caller's thread.
        return Task.Run(() =>
        {
            var result = _store.Enqueue(batchId, taskType.Name, Rows(), now, cancellationToken);
            _worker.Wake(earliestDelayed == long.MaxValue ? null : earliestDelayed);
            return result;
        }, cancellationToken);
    }

    /// <summary>The task with id <paramref name="taskId"/>.</summary>
    /// <exception cref="TaskNotFoundException">No task has that id.</exception>
    public Task<TemTask> GetAsync(long taskId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_store.GetTask(taskId) ?? throw new TaskNotFoundException(taskId));
    }

    /// <summary>Tasks matching <paramref name="query"/>, in id order.</summary>
    public Task<IReadOnlyList<TemTask>> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "TaskQuery.Limit must be between 1 and 10,000; page with AfterId.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_store.ListTasks(query));
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
            return JsonSerializer.Serialize(payload, taskType.PayloadTypeInfo);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new TemException($"A payload of task type '{taskType.Name}' cannot be written as JSON: {ex.Message} Nothing of this enqueue was stored.", ex);
        }
    }

    private NewTask ToRow<TPayload>(TaskType<TPayload> taskType, TPayload payload, EnqueueOptions? choice, long nowMs)
    {
        var maxAttempts = choice?.MaxAttempts ?? taskType.MaxAttempts ?? _options.DefaultMaxAttempts;
        if (maxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(choice), maxAttempts, "EnqueueOptions.MaxAttempts must be at least 1.");
        }

        if (choice?.Delay is { } delay && delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(choice), delay, "EnqueueOptions.Delay must not be negative.");
        }

        var runAfter = nowMs + (long)(choice?.Delay ?? TimeSpan.Zero).TotalMilliseconds;
        return new NewTask(Serialize(taskType, payload), maxAttempts, choice?.Priority ?? taskType.Priority, runAfter, choice?.IdempotencyKey);
    }
}
