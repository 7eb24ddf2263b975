using Tem.Storage;

namespace Tem.Execution;

/// <summary>One run's calls as budgets see them: whose they are, and the settlements still being written, which the runner awaits before the run's outcome.</summary>
internal sealed class TaskSpend(SpendMeter meter, long taskId, long batchId, string taskType, int attempt)
{
    private readonly List<Task> _settling = [];

    public SpendMeter Meter => meter;

    public long TaskId => taskId;

    public long BatchId => batchId;

    public string TaskType => taskType;

    public int Attempt => attempt;

    public void Track(Task settling)
    {
        lock (_settling)
        {
            _settling.Add(settling);
        }
    }

    /// <summary>Every settlement begun so far has been written (or failed and was logged).</summary>
    public Task SettledAsync()
    {
        lock (_settling)
        {
            return Task.WhenAll(_settling);
        }
    }

    /// <summary>The hook <see cref="ProviderLimits"/> calls before a call's rate permit: holds its worst case under the batch's budget, when it runs inside a task.</summary>
    public static ValueTask<SpendHold?> ReserveForCurrentAsync(ProviderCallPermit permit, CancellationToken ct)
    {
        if (TaskContext.Current.Value?.Spend is not { } task)
        {
            return new((SpendHold?)null);
        }

        var ask = new SpendAsk(permit.Group.Model ?? "unknown", permit.Cost.InputTokens, permit.Cost.OutputTokens);
        return Reserve(task, ask, permit.Group, ct);

        static async ValueTask<SpendHold?> Reserve(TaskSpend task, SpendAsk ask, LimitGroupKey group, CancellationToken ct)
            => await task.Meter.ReserveAsync(task, ask, group, ct).ConfigureAwait(false);
    }
}
