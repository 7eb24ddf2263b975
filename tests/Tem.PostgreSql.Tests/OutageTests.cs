using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// Issue 17, "Errors": the engine reaches PostgreSQL through a <see cref="TcpProxy"/> the test cuts for longer than
/// the lease. The worker must stop claiming and say so (log and <see cref="TemWorker.IsPausedByDatabaseOutage"/>),
/// keep the outcomes of the handlers that ended meanwhile, write them when the database is back, claim again, and
/// finish the batch with every task completed.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output) : SchemaTest
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    /// <param name="reset">Connections reset (a restart, a failover) or silently dropped (a partition: timeouts).</param>
    /// <param name="retryForSeconds">The store's own retries outlast the outage (30), or give up within it (1) and the engine retries.</param>
    [Theory]
    [InlineData(true, 30)]
    [InlineData(true, 1)]
    [InlineData(false, 30)]
    public async Task A_worker_cut_off_longer_than_its_lease_stops_claiming_says_so_and_resumes_without_losing_outcomes(bool reset, int retryForSeconds)
    {
        const int count = 60;
        var (proxy, throughProxy) = TcpProxy.For(PostgresServer.ConnectionString);
        await using var _ = proxy;
        if (!reset)
        {
            // A partition shows only as a timeout: keep them short so the test does not wait out Npgsql's defaults.
            throughProxy += ";Timeout=2;Command Timeout=2;Cancellation Timeout=500";
        }

        var log = new CapturedLog();
        using var dumpLog = new Finally(() => { foreach (var line in log.Lines.Take(40)) { output.WriteLine(line); } });
        var options = new TemOptions
        {
            Concurrency = 4,
            PollInterval = TimeSpan.FromMilliseconds(200),
            LeaseDuration = Lease,
            Logger = log,
            Store = new PostgresStoreOptions { ConnectionString = throughProxy, Schema = Schema, RetryFor = TimeSpan.FromSeconds(retryForSeconds) },
        };
        var starts = new ConcurrentDictionary<int, int>();
        var ends = new ConcurrentDictionary<int, long>();
        await using var tem = await Engines.OpenAsync(options, async (job, _, ct) =>
        {
            starts.AddOrUpdate(job.N, 1, (_, n) => n + 1);
            await Task.Delay(300, ct);
            ends[job.N] = Stopwatch.GetTimestamp();
            return new JobResult(job.N);
        });
        var batch = await tem.Batches.CreateAsync("outage", "test");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, count).Select(i => new Job(i)));
        await tem.Worker.StartAsync();
        Assert.False(tem.Worker.IsPausedByDatabaseOutage);
        // Cut while handlers run (they start in rounds of four): their outcomes are the ones the outage must not lose.
        await Until(() => ends.Count >= 12 && starts.Count - ends.Count >= 2, TimeSpan.FromSeconds(60), "the first runs");

        proxy.Cut(reset);
        using var restoreOnFailure = new Finally(proxy.Restore); // an assertion failing mid-outage must not leave the engine's stop waiting on it
        var cutAt = Stopwatch.GetTimestamp();
        await Until(() => tem.Worker.IsPausedByDatabaseOutage, TimeSpan.FromSeconds(30), "the worker to pause its claims");
        var pausedAfter = Stopwatch.GetElapsedTime(cutAt);
        // Said within a tick of the pause (the lease keeper's timer says it; the dispatcher reads the flag directly).
        await Until(() => log.Lines.Any(l => l.Contains("claims nothing until the database answers again", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the log line");
        // The handlers running at the cut finish (300 ms) while it lasts; their outcomes wait in memory, their slots taken.
        await Until(() => tem.Worker.InFlight > 0 && starts.Keys.All(ends.ContainsKey), TimeSpan.FromSeconds(10), "the cut-off handlers to finish");
        var endedInOutage = ends.Where(e => e.Value > cutAt).Select(e => e.Key).ToList();
        var startedBeforeRestore = starts.Keys.ToHashSet();
        Assert.NotEmpty(endedInOutage);
        Assert.True(tem.Worker.IsPausedByDatabaseOutage);
        Assert.Equal(0, await PostgresServer.ScalarAsync($"SELECT COUNT(*)::int FROM {Schema}.task WHERE status = 'completed' AND (payload::jsonb->>'N')::int = ANY(ARRAY[{string.Join(',', endedInOutage)}]);"));

        proxy.Restore();
        var restoredAt = Stopwatch.GetTimestamp();
        await Until(() => !tem.Worker.IsPausedByDatabaseOutage, TimeSpan.FromSeconds(60), "the worker to claim again");
        output.WriteLine($"cut {(reset ? "with resets" : "as a black hole")}, RetryFor {retryForSeconds} s: paused {pausedAfter.TotalMilliseconds:0} ms after the cut, "
            + $"{endedInOutage.Count} handlers ended during the outage, resumed {Stopwatch.GetElapsedTime(restoredAt).TotalMilliseconds:0} ms after the restore; {proxy.RefusedWhileCut} connections knocked meanwhile");
        var stats = await tem.WaitForBatchAsync(batch.Id, Engines.Timeout(120));
        Assert.Equal(new BatchStats(0, 0, count, 0, 0), stats);
        Assert.Contains(log.Lines, l => l.Contains("answers again after", StringComparison.Ordinal));
        Assert.Equal(count, starts.Count);
        // Nothing lost: the outcomes held through the outage were written, not run again.
        Assert.All(endedInOutage, n => Assert.Equal(1, starts[n]));
        // At-least-once allows a rerun only of a claim whose reply the cut swallowed; none of those ever started before.
        Assert.All(starts.Where(s => s.Value > 1), s => Assert.DoesNotContain(s.Key, startedBeforeRestore));
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"Waited {limit.TotalSeconds} s for {what}.");
            await Task.Delay(20);
        }
    }

    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>The engine's log lines, as "Level message".</summary>
    private sealed class CapturedLog : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _lines.Enqueue($"{logLevel} {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
    }
}
