namespace Tem.Hosting.Tests;

public sealed record Ticket(int N);

public sealed record Stamp(int N, int ScopeId);

/// <summary>A scoped dependency (a DbContext, say): a new id per scope.</summary>
public sealed class UnitOfWork
{
    private static int s_next;

    public int Id { get; } = Interlocked.Increment(ref s_next);
}

/// <summary>A handler registered as scoped: resolving it from the root provider throws under scope validation.</summary>
public sealed class ScopedHandler(UnitOfWork work)
{
    [TemHandler("scoped")]
    public Task<Stamp> Stamp(Ticket ticket) => Task.FromResult(new Stamp(ticket.N, work.Id));
}

/// <summary>A transient IDisposable handler: the root provider would keep every instance until it is disposed itself.</summary>
public sealed class DisposableHandler : IDisposable
{
    public static int Created;
    public static int Disposed;

    public DisposableHandler() => Interlocked.Increment(ref Created);

    [TemHandler("disposable")]
    public ValueTask Touch(Ticket ticket) => ValueTask.CompletedTask;

    public void Dispose() => Interlocked.Increment(ref Disposed);
}

/// <summary>Never registered with the container: its task fails with a message that says what to do.</summary>
public sealed class UnregisteredHandler
{
    [TemHandler("unregistered", MaxAttempts = 1)]
    public ValueTask Run(Ticket ticket) => ValueTask.CompletedTask;
}
