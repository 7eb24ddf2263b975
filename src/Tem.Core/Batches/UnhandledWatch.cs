using System.Diagnostics;
using Tem.Execution;

namespace Tem;

/// <summary>
/// Keeps a batch wait from hanging silently: every few seconds it asks which pending tasks no live worker handles,
/// warns about them at once and every minute after, and gives up with <see cref="UnhandledTasksException"/> once they
/// have waited longer than the caller allowed.
/// </summary>
internal sealed class UnhandledWatch(TemEngine engine, Batch batch, TimeSpan timeout)
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);
    private long _lastCheck = long.MinValue;
    private long _lastWarning = long.MinValue;
    private long? _unhandledSince;

    public async ValueTask CheckAsync(CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        if (_lastCheck != long.MinValue && Stopwatch.GetElapsedTime(_lastCheck, now) < CheckEvery)
        {
            return;
        }

        _lastCheck = now;
        var unhandled = await engine.Batches.GetUnhandledAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        if (unhandled.Count == 0)
        {
            _unhandledSince = null;
            return;
        }

        _unhandledSince ??= now;
        var what = string.Join(", ", unhandled.Select(u => $"{u.Count} of type '{u.Type}'"));
        if (_lastWarning == long.MinValue || Stopwatch.GetElapsedTime(_lastWarning, now) >= WarnEvery)
        {
            _lastWarning = now;
            Log.TasksUnhandled(engine.Logger, batch.Code, what);
        }

        if (timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(_unhandledSince.Value, now) >= timeout)
        {
            throw new UnhandledTasksException(
                $"Batch '{batch.Code}' has pending tasks that no live worker handles ({what}) and they waited {timeout.TotalSeconds:0.#} s. " +
                "Start a worker (Worker.StartAsync) with a handler registered for each of those types, in this or another process.", unhandled);
        }
    }
}
