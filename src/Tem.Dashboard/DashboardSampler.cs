using System.Diagnostics;

namespace Tem.Dashboard;

/// <summary>
/// The one reader of the database behind every open page: on each tick it lists the batches, reads the counts of
/// those whose counts can still move, and records throughput and refusals. Pages wait on <see cref="NextTick"/>
/// and build their snapshots from <see cref="Latest"/>, so ten open tabs cost no more reads than one.
/// </summary>
internal sealed class DashboardSampler(Func<TemEngine> engine, TimeSpan interval, int historyLength, CancellationToken stopping)
{
    private readonly object _startGate = new();
    private readonly Dictionary<long, RateHistory> _histories = [];
    private readonly RateHistory _overall = new(historyLength);
    private TaskCompletionSource _tick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _lastTickMs;

    public SampleState Latest { get; private set; } = SampleState.Empty;

    /// <summary>Completes when the next sample has been read.</summary>
    public Task NextTick => Volatile.Read(ref _tick).Task;

    public RateSeries OverallSeries => _overall.ToSeries();

    public RateSeries SeriesOf(long batchId)
    {
        lock (_histories)
        {
            return _histories.TryGetValue(batchId, out var history) ? history.ToSeries() : new RateHistory(1).ToSeries();
        }
    }

    /// <summary>Starts sampling on the first request and reads once, so the first page is never empty.</summary>
    public async Task EnsureStartedAsync()
    {
        Task first;
        lock (_startGate)
        {
            if (_loop is not null)
            {
                return;
            }

            first = NextTick;
            _loop = Task.Run(RunAsync);
        }

        await first.WaitAsync(stopping).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                Latest = await SampleAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                Latest = Latest with { Problem = "The engine was closed." };
                Signal();
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Keep the last good numbers on the page, with the reason they stopped moving.
                Latest = Latest with { Problem = ex.Message };
            }

            Signal();
            // Never spend more than about a tenth of the time reading: a huge batch slows the ticks, not the engine.
            var wait = TimeSpan.FromTicks(Math.Max(interval.Ticks, clock.Elapsed.Ticks * 10));
            try
            {
                await Task.Delay(wait, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _tick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    private async Task<SampleState> SampleAsync()
    {
        var tem = engine();
        var previous = Latest;
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batches = await tem.Batches.ListAsync(cancellationToken: stopping).ConfigureAwait(false);
        var samples = new List<BatchSample>(batches.Count);
        long doneCompleted = 0, doneFailed = 0, refused = 0;
        foreach (var batch in batches)
        {
            var before = previous.Find(batch.Id);
            var sample = before is not null && !before.IsLive && before.Batch == batch
                ? before
                : await ReadAsync(tem, batch, before, nowMs).ConfigureAwait(false);
            if (sample is null)
            {
                continue;
            }

            samples.Add(sample);
            if (before is null || _lastTickMs == 0)
            {
                continue;
            }

            // Retrying failed tasks lowers the failed count; a chart of work done never goes below zero.
            var completed = Math.Max(0, sample.Stats.Completed - before.Stats.Completed);
            var failed = Math.Max(0, sample.Stats.Failed - before.Stats.Failed);
            var refusals = Math.Max(0, sample.Refusals - before.Refusals);
            doneCompleted += completed;
            doneFailed += failed;
            refused += refusals;
            HistoryOf(batch.Id).Add(nowMs, nowMs - _lastTickMs, completed, failed, refusals);
        }

        if (_lastTickMs != 0)
        {
            _overall.Add(nowMs, nowMs - _lastTickMs, doneCompleted, doneFailed, refused);
        }

        _lastTickMs = nowMs;
        var workers = await tem.ListWorkersAsync(stopping).ConfigureAwait(false);
        var sharedLimits = await tem.ListSharedLimitsAsync(stopping).ConfigureAwait(false);
        return new SampleState(nowMs, samples, null) { Workers = workers, SharedLimits = sharedLimits };
    }

    private async Task<BatchSample?> ReadAsync(TemEngine tem, Batch batch, BatchSample? before, long nowMs)
    {
        try
        {
            // The per-type read scans the batch (about 30 ms per 10,000 tasks); the counts come from an index. On a
            // big batch, repeat the scan only when it is due — at most a twentieth of the time — and the counts every tick.
            var typesDue = before is null || before.Batch.Status != batch.Status
                || nowMs - before.TypesReadAtMs >= Math.Max(interval.TotalMilliseconds, 20 * before.TypesReadCostMs);
            if (!typesDue)
            {
                var counted = before! with { Batch = batch, Stats = await tem.Batches.GetStatsAsync(batch.Id, stopping).ConfigureAwait(false) };
                if (counted.IsLive)
                {
                    return counted;
                }

                // It will not be read again until it changes: make its per-type counts final now.
            }

            var clock = Stopwatch.StartNew();
            var types = await tem.Batches.GetTypeStatsAsync(batch.Id, stopping).ConfigureAwait(false);
            long pending = 0, running = 0, completed = 0, failed = 0, cancelled = 0, refusals = 0;
            foreach (var t in types)
            {
                pending += t.Stats.Pending;
                running += t.Stats.Running;
                completed += t.Stats.Completed;
                failed += t.Stats.Failed;
                cancelled += t.Stats.Cancelled;
                refusals += t.RateLimitDeferrals;
            }

            return new BatchSample(batch, new BatchStats(pending, running, completed, failed, cancelled), refusals, types, nowMs, clock.Elapsed.TotalMilliseconds);
        }
        catch (BatchNotFoundException)
        {
            return null;
        }
    }

    private RateHistory HistoryOf(long batchId)
    {
        lock (_histories)
        {
            if (!_histories.TryGetValue(batchId, out var history))
            {
                _histories[batchId] = history = new RateHistory(historyLength);
            }

            return history;
        }
    }
}
