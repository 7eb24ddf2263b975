using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tem.Execution;

/// <summary>
/// The worker gauges, created once per process on the static meter and reporting every running worker: a worker adds
/// itself on start and leaves on stop, so a stopped engine is never held by the meter. The pending count is read at
/// most every few seconds, off the collection's thread.
/// </summary>
internal static class WorkerGauges
{
    private static readonly TimeSpan PendingMaxAge = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentDictionary<WorkerRun, PendingCount> Runs = new();

    static WorkerGauges()
    {
        TemTelemetry.Meter.CreateObservableGauge("tem.tasks.running", Running, "{task}", "Handlers running now in this worker.");
        TemTelemetry.Meter.CreateObservableGauge("tem.tasks.pending", Pending, "{task}", "Tasks waiting to run in the database.");
    }

    public static void Track(WorkerRun run) => Runs[run] = new PendingCount();

    public static void Untrack(WorkerRun run) => Runs.TryRemove(run, out _);

    private static IEnumerable<Measurement<int>> Running()
    {
        foreach (var run in Runs.Keys)
        {
            yield return new Measurement<int>(run.InFlight, Tag(run));
        }
    }

    private static IEnumerable<Measurement<long>> Pending()
    {
        foreach (var (run, count) in Runs)
        {
            count.RefreshIfOld(run);
            yield return new Measurement<long>(count.Value, Tag(run));
        }
    }

    private static KeyValuePair<string, object?> Tag(WorkerRun run) => new("tem.worker", run.Context.Identity.Owner);

    /// <summary>The last pending count read for one worker, and whether a read is under way.</summary>
    private sealed class PendingCount
    {
        private long _value;
        private long _readAt;
        private int _reading;

        public long Value => Volatile.Read(ref _value);

        public void RefreshIfOld(WorkerRun run)
        {
            var time = run.Context.Time;
            var readAt = Volatile.Read(ref _readAt);
            if (readAt != 0 && time.GetElapsedTime(readAt) < PendingMaxAge || Interlocked.Exchange(ref _reading, 1) == 1)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    Volatile.Write(ref _value, await run.Context.Store.CountPendingAsync(CancellationToken.None).ConfigureAwait(false));
                    Volatile.Write(ref _readAt, time.GetTimestamp());
                }
                catch (Exception)
                {
                    // The store is closing or busy: keep the last figure.
                }
                finally
                {
                    Volatile.Write(ref _reading, 0);
                }
            });
        }
    }
}
