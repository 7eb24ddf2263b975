using Microsoft.Extensions.Logging;
using Tem.Execution;
using Tem.Storage;

namespace Tem;

/// <summary>
/// Delivers <see cref="TemOptions.OnBatchEnded"/>: compares each batch's state with the last read and reports every
/// move into an ended state once. Reading the store's state, rather than listening for the write that ended a batch,
/// sees ends decided by any process — one on the same SQLite file, a machine on PostgreSQL — and misses none when a
/// notification is lost; the engine's signals (local writes and LISTEN/NOTIFY) only make it look sooner.
/// </summary>
internal sealed class BatchEndWatcher : IAsyncDisposable
{
    /// <summary>The shortest gap between two reads: a busy worker signals a change with every outcome write.</summary>
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(100);

    private readonly ITemStore _store;
    private readonly EngineSignals _signals;
    private readonly Func<BatchEnded, CancellationToken, ValueTask> _handler;
    private readonly TimeSpan _poll;
    private readonly ILogger _logger;
    private readonly Dictionary<long, (BatchStatus Status, DateTimeOffset? CompletedAt)> _seen = [];
    private readonly SemaphoreSlim _scan = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private BatchEndWatcher(ITemStore store, EngineSignals signals, Func<BatchEnded, CancellationToken, ValueTask> handler, TimeSpan poll, ILogger logger)
    {
        _store = store;
        _signals = signals;
        _handler = handler;
        _poll = poll;
        _logger = logger;
    }

    /// <summary>Reads every batch's state now (ends before this are not reported) and starts watching.</summary>
    public static async ValueTask<BatchEndWatcher> StartAsync(ITemStore store, EngineSignals signals,
        Func<BatchEnded, CancellationToken, ValueTask> handler, TimeSpan poll, ILogger logger, CancellationToken cancellationToken)
    {
        var watcher = new BatchEndWatcher(store, signals, handler, poll, logger);
        foreach (var batch in await store.ListBatchesAsync(null, null, cancellationToken).ConfigureAwait(false))
        {
            watcher._seen[batch.Id] = (batch.Status, batch.CompletedAt);
        }

        watcher._loop = Task.Run(watcher.LoopAsync, CancellationToken.None);
        return watcher;
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var change = _signals.NextChange;
            try
            {
                await ScanAsync(token).ConfigureAwait(false);
                await change.WaitAsync(_poll, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                continue;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.BatchEndWatchFailed(_logger, ex); // the database is unreachable for now: look again after the poll interval
                try
                {
                    await Task.Delay(_poll, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            try
            {
                await Task.Delay(MinGap, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One read: reports each batch that moved into an ended state since the last read, in id order.</summary>
    private async Task ScanAsync(CancellationToken cancellationToken)
    {
        await _scan.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var batches = await _store.ListBatchesAsync(null, null, cancellationToken).ConfigureAwait(false);
            foreach (var batch in batches.OrderBy(b => b.Id))
            {
                var now = (batch.Status, batch.CompletedAt);
                var ended = batch.Status is not BatchStatus.Active;
                var isNewEnd = ended && (!_seen.TryGetValue(batch.Id, out var before) || before != now);
                if (isNewEnd)
                {
                    await DeliverAsync(batch, cancellationToken).ConfigureAwait(false);
                }

                _seen[batch.Id] = now; // after delivery: a read that fails before it reports the end again next time
            }
        }
        finally
        {
            _scan.Release();
        }
    }

    private async Task DeliverAsync(Batch batch, CancellationToken cancellationToken)
    {
        var stats = await _store.GetStatsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        string? reason = null;
        var kind = batch.Status switch
        {
            BatchStatus.Cancelled => BatchEndKind.Cancelled,
            BatchStatus.Interrupted => BatchEndKind.Interrupted,
            _ => stats.Failed > 0 ? BatchEndKind.CompletedWithFailures : BatchEndKind.Completed,
        };
        if (kind is BatchEndKind.Interrupted)
        {
            var interruptions = await _store.GetInterruptionsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
            reason = interruptions.OrderBy(i => i.At).LastOrDefault()?.Reason;
        }

        try
        {
            await _handler(new BatchEnded(batch, kind, stats, reason), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.BatchEndedHandlerFailed(_logger, batch.Id, kind, ex);
        }
    }

    /// <summary>Stops watching after one last read, so that ends the engine saw before its disposal are delivered.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            await ScanAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.BatchEndWatchFailed(_logger, ex); // disposal never throws
        }

        _stop.Dispose();
        _scan.Dispose();
    }

    /// <summary>Stops without a last read: the engine was dropped as a killed process would be (tests only).</summary>
    public async Task AbandonAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }
}
