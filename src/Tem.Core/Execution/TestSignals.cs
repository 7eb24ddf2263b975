namespace Tem.Execution;

/// <summary>
/// Points in the engine's life that tests await instead of sleeping (as River's testsignal does). Null in
/// production: an engine creates none unless a test asks (<see cref="TemEngine.EnableTestSignals"/>), so each hook
/// costs one null check.
/// </summary>
internal sealed class TestSignals
{
    /// <summary>The dispatcher found less to claim than it could take and is about to wait for a wake-up or the poll.</summary>
    public TestSignal DispatcherIdle { get; } = new();
}

/// <summary>A latch a test awaits: a wait returns once the point was reached since the previous wait returned.</summary>
internal sealed class TestSignal
{
    private TaskCompletionSource _raised = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Raise() => Volatile.Read(ref _raised).TrySetResult();

    /// <summary>Waits for a raise since the last wait (or since creation); throws TimeoutException after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout)
    {
        var raised = Volatile.Read(ref _raised);
        await raised.Task.WaitAsync(timeout).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _raised, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), raised);
    }
}
