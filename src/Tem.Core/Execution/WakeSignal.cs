namespace Tem.Execution;

/// <summary>An auto-reset signal an idle loop waits on; setting it many times before the wait wakes it once.</summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);
    private readonly object _lock = new();

    public void Set()
    {
        lock (_lock)
        {
            if (_semaphore.CurrentCount == 0)
            {
                _semaphore.Release();
            }
        }
    }

    /// <summary>Waits until set or until <paramref name="timeout"/>; false on timeout.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => _semaphore.WaitAsync(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout, cancellationToken);
}
