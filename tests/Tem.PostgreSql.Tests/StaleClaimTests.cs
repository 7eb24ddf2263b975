using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// Issue 26, "Stale starts": the server makes a claim, but its answer reaches the worker only after the lease has
/// expired and another worker has run the task. A <see cref="TcpProxy"/> between worker A and the server holds the
/// answers back; worker B, connected directly, recovers the expired lease and completes the task; then the answers
/// are delivered. A must release the late claim, never start its handler (a second paid call).
/// </summary>
public sealed class StaleClaimTests(ITestOutputHelper output) : SchemaTest
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task A_claim_answered_after_its_lease_expired_is_released_not_run()
    {
        var (proxy, throughProxy) = TcpProxy.For(PostgresServer.ConnectionString);
        await using var _ = proxy;
        var log = new LinesLog();
        var startsOnA = new ConcurrentQueue<int>();
        var startsOnB = new ConcurrentQueue<int>();
        // A polls rarely: its one claim in the hold is the one its own enqueue's due time wakes it for.
        await using var a = await Engines.OpenAsync(Engines.Options(Schema, TimeSpan.FromSeconds(30), o =>
        {
            o.Concurrency = 1;
            o.LeaseDuration = Lease;
            o.Logger = log;
            o.Store = new PostgresStoreOptions { ConnectionString = throughProxy, Schema = Schema, RetryFor = TimeSpan.FromSeconds(60) };
        }), (job, _, _) =>
        {
            startsOnA.Enqueue(job.N);
            return ValueTask.FromResult(new JobResult(job.N));
        });
        await using var b = await Engines.OpenAsync(Engines.Options(Schema, TimeSpan.FromMilliseconds(100), o => o.LeaseDuration = Lease), (job, _, _) =>
        {
            startsOnB.Enqueue(job.N);
            return ValueTask.FromResult(new JobResult(job.N));
        });
        var batch = await b.Batches.CreateAsync("stale", "test");
        await a.Worker.StartAsync();
        try
        {
            // Enqueued on A with a delay: A's dispatcher knows the due time and claims then, inside the hold. (The claim
            // it makes at the enqueue's wake-up returns long before the hold; were it still in flight, A's due claim
            // would wait behind it and the test would fail at the next step, never pass wrongly.)
            var id = await a.Tasks.EnqueueAsync(batch.Id, Engines.Type, new Job(7), new EnqueueOptions { Delay = TimeSpan.FromSeconds(2) });
            await Task.Delay(500);
            proxy.HoldAnswers();
            // At the due time A claims it in the database; the answer waits in the relay.
            await UntilAsync(async () => (await b.Tasks.GetAsync(id)).Status == TemTaskStatus.Running, "A's claim to be made in the database");
            await b.Worker.StartAsync(); // recovers the lease once it expired, and runs the task
            await UntilAsync(async () => (await b.Tasks.GetAsync(id)).Status == TemTaskStatus.Completed, "B to complete the task after A's lease expired");
            Assert.Empty(startsOnA);

            proxy.ReleaseAnswers();
            await UntilAsync(() => ValueTask.FromResult(!startsOnA.IsEmpty || log.Lines.Any(l => l.Contains("without running", StringComparison.Ordinal))),
                "A to act on the late answer");
            Assert.Empty(startsOnA);
            Assert.Contains(log.Lines, l => l.Contains("Released 1 claimed tasks without running them", StringComparison.Ordinal));
            var task = await b.Tasks.GetAsync(id);
            Assert.Equal(TemTaskStatus.Completed, task.Status);
            Assert.Equal([7], startsOnB);
        }
        finally
        {
            proxy.ReleaseAnswers();
            foreach (var line in log.Lines.Take(40))
            {
                output.WriteLine(line);
            }
        }
    }

    private static async Task UntilAsync(Func<ValueTask<bool>> condition, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (!await condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"Waited 60 s for {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>The engine's log lines, as "Level message".</summary>
    private sealed class LinesLog : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _lines.Enqueue($"{logLevel} {formatter(state, exception)}");
    }
}
