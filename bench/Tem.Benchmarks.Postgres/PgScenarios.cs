using System.Diagnostics;
using Tem.Storage;
using Tem.Storage.Postgres;

namespace Tem;

/// <summary>One run of each PostgreSQL scenario: the engine's figure and its floor's, measured back to back.</summary>
internal sealed class PgScenarios(string connection, int tasks)
{
    /// <summary>EnqueueManyAsync (staged chunks) against the store's unnest insert of 1,000-row chunks in a loop. Rows/s.</summary>
    public async Task<(double Engine, double Floor)> EnqueueAsync()
    {
        var schema = Bench.NewSchema();
        try
        {
            await using var tem = await TemEngine.OpenAsync(Bench.Options(connection, schema));
            // Untimed, both paths once (one statement below 4,096 rows, staged chunks above), so the JIT is not timed.
            var warmUp = await tem.Batches.CreateAsync("warm-up", "bench");
            await tem.Tasks.EnqueueManyAsync(warmUp.Id, Bench.Noop, Enumerable.Range(0, 100).Select(i => new NoopPayload(i)));
            await tem.Tasks.EnqueueManyAsync(warmUp.Id, Bench.Noop, Enumerable.Range(0, 5_000).Select(i => new NoopPayload(i)));
            var batch = await tem.Batches.CreateAsync("enqueue", "bench");
            var watch = Stopwatch.StartNew();
            await tem.Tasks.EnqueueManyAsync(batch.Id, Bench.Noop, Enumerable.Range(0, tasks).Select(i => new NoopPayload(i)));
            var engine = tasks / watch.Elapsed.TotalSeconds;

            await using var store = await OpenStoreAsync(schema);
            var floorBatch = await store.CreateBatchAsync("enqueue-floor", "bench", null, null, CancellationToken.None);
            await store.EnqueueAsync(floorBatch.Id, "warm-up", [new NewTask("{}", 3, 0, TimeSpan.Zero, null)], CancellationToken.None);
            var rows = Enumerable.Range(0, tasks).Select(i => new NewTask(
                System.Text.Json.JsonSerializer.Serialize(new NoopPayload(i), BenchJson.Default.NoopPayload), 3, 0, TimeSpan.Zero, null)).ToArray();
            watch.Restart();
            foreach (var chunk in rows.Chunk(1000))
            {
                await store.EnqueueAsync(floorBatch.Id, "noop", chunk, CancellationToken.None);
            }

            return (engine, tasks / watch.Elapsed.TotalSeconds);
        }
        finally
        {
            await Bench.DropAsync(connection, schema);
        }
    }

    /// <summary>No-op claim → complete in <paramref name="processes"/> worker processes, against the floor loop in as many. Tasks/s.</summary>
    public async Task<(double Engine, double Floor)> NoopAsync(int processes)
    {
        var schema = Bench.NewSchema();
        try
        {
            await using var tem = await TemEngine.OpenAsync(Bench.Options(connection, schema));
            var batchId = await EnqueueHeldAsync(tem, "noop");
            var engine = tasks / await Bench.RunChildrenAsync(processes, () => tem.Batches.ResumeAsync(batchId), "worker", schema,
                batchId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var floorBatch = await EnqueueHeldAsync(tem, "floor");
            return (engine, tasks / await Bench.RunChildrenAsync(processes, () => tem.Batches.ResumeAsync(floorBatch), "floor", schema));
        }
        finally
        {
            await Bench.DropAsync(connection, schema);
        }
    }

    /// <summary>
    /// Engine A enqueues one task at a time; engine B, polling every 30 s so only a notification can wake it, runs it.
    /// Returns enqueue-on-A → handler-start-on-B latencies, and A's own EnqueueAsync call times, in ms.
    /// </summary>
    public async Task<(List<double> Wake, List<double> Enqueue)> WakeAsync(int samples)
    {
        var schema = Bench.NewSchema();
        try
        {
            var started = new SemaphoreSlim(0);
            long startedAt = 0;
            await using var worker = await TemEngine.OpenAsync(Bench.Options(connection, schema, poll: TimeSpan.FromSeconds(30)),
                TemHandlerRegistry.Create(w => w.Register(Bench.Noop, (_, _, _) =>
                {
                    Volatile.Write(ref startedAt, Stopwatch.GetTimestamp());
                    started.Release();
                    return ValueTask.CompletedTask;
                })));
            await using var producer = await TemEngine.OpenAsync(Bench.Options(connection, schema));
            var batch = await producer.Batches.CreateAsync("wake", "bench");
            await worker.Worker.StartAsync();
            await Task.Delay(1000);
            List<double> wake = [], enqueue = [];
            for (var i = 0; i < samples; i++)
            {
                var sent = Stopwatch.GetTimestamp();
                await producer.Tasks.EnqueueAsync(batch.Id, Bench.Noop, new NoopPayload(i));
                enqueue.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds); // A's own call: its commit sends the NOTIFY
                if (!await started.WaitAsync(TimeSpan.FromSeconds(20)))
                {
                    throw new TimeoutException("A task enqueued on one engine did not start on the other within 20 s.");
                }

                wake.Add(Stopwatch.GetElapsedTime(sent, Volatile.Read(ref startedAt)).TotalMilliseconds);
                await Task.Delay(10);
            }

            await worker.Worker.StopAsync();
            return (wake, enqueue);
        }
        finally
        {
            await Bench.DropAsync(connection, schema);
        }
    }

    private async Task<ITemStore> OpenStoreAsync(string schema)
        => await new PostgresStoreOptions { ConnectionString = connection, Schema = schema }.OpenAsync(TimeProvider.System, CancellationToken.None);

    /// <summary>The measured batch, held interrupted (not claimable) until every child has warmed up.</summary>
    private async Task<long> EnqueueHeldAsync(TemEngine tem, string code)
    {
        var batchId = (await tem.Batches.CreateAsync(code, "bench")).Id;
        await tem.Tasks.EnqueueManyAsync(batchId, Bench.Noop, Enumerable.Range(0, tasks).Select(i => new NoopPayload(i)));
        await tem.Batches.InterruptAsync(batchId, "held until the benchmark's processes are warm");
        return batchId;
    }
}
