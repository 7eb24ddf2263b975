namespace Tem.Execution;

/// <summary>Tells every waiter that task states changed in this process (a broadcast, unlike <see cref="WakeSignal"/>).</summary>
internal sealed class ChangeNotifier
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
