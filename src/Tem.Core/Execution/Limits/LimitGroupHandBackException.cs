namespace Tem.Execution;

/// <summary>
/// A task's provider call would wait for its limit group's permit longer than <see cref="LimitGroup.HandBackAfter"/>
/// while another group's calls are flowing on the same worker: the task goes back to pending until the wait has passed
/// (released with a delay: no attempt used, no refusal counted), so the slower group's waiters
/// do not hold the worker's slots that the faster group's calls need. Thrown before the call leaves, so nothing was sent.
/// </summary>
internal sealed class LimitGroupHandBackException(LimitGroupKey group, TimeSpan wait)
    : Exception($"The call would wait {wait.TotalSeconds:0.###} s for limit group '{group.Name}'; the task is handed back to pending for that long.")
{
    /// <summary>How long the call would have waited: the task's not-before from now.</summary>
    public TimeSpan Wait { get; } = wait;

    /// <summary>The hand-back in <paramref name="error"/> or its inner exceptions (an SDK may wrap what its transport threw).</summary>
    public static LimitGroupHandBackException? In(Exception? error)
    {
        for (var depth = 0; error is not null && depth < 8; depth++, error = error.InnerException)
        {
            if (error is LimitGroupHandBackException handBack)
            {
                return handBack;
            }
        }

        return null;
    }
}
