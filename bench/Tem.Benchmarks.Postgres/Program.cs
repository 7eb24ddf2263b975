using System.Diagnostics;
using System.Text.Json.Serialization;
using Tem;
using Tem.Storage;
using Tem.Storage.Postgres;

// PostgreSQL scenarios of the benchmark harness (bench/RESULTS.md), each against a floor measured in the same run:
// the store's own statements in a tight loop, without the engine.
//   TEM_POSTGRES="Host=...;Username=..." dotnet run -c Release --project bench/Tem.Benchmarks.Postgres -- [--quick] [--only enqueue,noop,wake]
// Child modes (started by the parent): worker <schema> <batch-id> | floor <schema>.
var connection = Environment.GetEnvironmentVariable("TEM_POSTGRES");
if (string.IsNullOrWhiteSpace(connection))
{
    Console.Error.WriteLine("Set TEM_POSTGRES to a connection string (source .ci/postgres starts a throw-away server).");
    return 2;
}

if (args.Length > 0 && args[0] == "worker")
{
    await using var tem = await TemEngine.OpenAsync(Bench.Options(connection, args[1]), Bench.Registry);
    await tem.Worker.StartAsync();
    await tem.WaitForBatchAsync(long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

if (args.Length > 0 && args[0] == "floor")
{
    await using var store = (ITemStore)await PostgresStoreOptionsFor(args[1]).OpenAsync(TimeProvider.System, CancellationToken.None);
    Console.WriteLine(await Bench.FloorLoopAsync(store, "floor-" + Environment.ProcessId));
    return 0;
}

var quick = args.Contains("--quick");
// --only enqueue,noop,wake runs those scenarios alone (e.g. to repeat the wake-up measurement).
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
bool Runs(string scenario) => only is null || only.Contains(scenario);
var tasks = quick ? 4_000 : 40_000;
Console.WriteLine($"Tem PostgreSQL benchmarks: {(quick ? "quick" : "full")}, {tasks} tasks per scenario, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"server: {await Bench.ServerVersionAsync(connection)}");

// 1. Enqueue: EnqueueManyAsync (staged chunks) against the store's unnest insert of the same chunks in a loop.
if (Runs("enqueue"))
{
    var schema = Bench.NewSchema();
    await using var tem = await TemEngine.OpenAsync(Bench.Options(connection, schema));
    var batch = await tem.Batches.CreateAsync("enqueue", "bench");
    var watch = Stopwatch.StartNew();
    await tem.Tasks.EnqueueManyAsync(batch.Id, Bench.Noop, Enumerable.Range(0, tasks).Select(i => new NoopPayload(i)));
    var engine = tasks / watch.Elapsed.TotalSeconds;

    await using var store = (ITemStore)await PostgresStoreOptionsFor(schema).OpenAsync(TimeProvider.System, CancellationToken.None);
    var floorBatch = await store.CreateBatchAsync("enqueue-floor", "bench", null, null, CancellationToken.None);
    var rows = Enumerable.Range(0, tasks).Select(i => new NewTask(System.Text.Json.JsonSerializer.Serialize(new NoopPayload(i), BenchJson.Default.NoopPayload), 3, 0, TimeSpan.Zero, null)).ToArray();
    watch.Restart();
    foreach (var chunk in rows.Chunk(1000))
    {
        await store.EnqueueAsync(floorBatch.Id, "noop", chunk, CancellationToken.None);
    }

    var floor = tasks / watch.Elapsed.TotalSeconds;
    Console.WriteLine($"enqueue      engine {engine,9:N0} rows/s   floor {floor,9:N0} rows/s   ratio {engine / floor:0.00}   (target >= 0.6)");
    await Bench.DropAsync(connection, schema);
}

// 2. No-op claim → complete with 1 and 4 worker processes, each against the floor loop in as many processes.
double? oneProcess = null;
foreach (var processes in Runs("noop") ? new[] { 1, 4 } : [])
{
    var schema = Bench.NewSchema();
    long batchId;
    await using (var tem = await TemEngine.OpenAsync(Bench.Options(connection, schema)))
    {
        batchId = (await tem.Batches.CreateAsync("noop", "bench")).Id;
        await tem.Tasks.EnqueueManyAsync(batchId, Bench.Noop, Enumerable.Range(0, tasks).Select(i => new NoopPayload(i)));
    }

    var watch = Stopwatch.StartNew();
    await Bench.RunChildrenAsync(processes, "worker", schema, batchId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    var engine = tasks / watch.Elapsed.TotalSeconds;

    await using (var tem = await TemEngine.OpenAsync(Bench.Options(connection, schema)))
    {
        var floorBatch = (await tem.Batches.CreateAsync("floor", "bench")).Id;
        await tem.Tasks.EnqueueManyAsync(floorBatch, Bench.Noop, Enumerable.Range(0, tasks).Select(i => new NoopPayload(i)));
    }

    watch.Restart();
    await Bench.RunChildrenAsync(processes, "floor", schema);
    var floor = tasks / watch.Elapsed.TotalSeconds;
    oneProcess ??= engine;
    var scaling = processes > 1 ? $"   {engine / oneProcess.Value:0.00}x one process (target >= 1.8)" : "";
    Console.WriteLine($"noop x{processes}     engine {engine,9:N0} tasks/s  floor {floor,9:N0} tasks/s  ratio {engine / floor:0.00}   (target >= 0.6){scaling}");
    await Bench.DropAsync(connection, schema);
}

// 3. Cross-engine wake: engine A enqueues one task at a time, engine B (polling every 30 s) runs it.
if (Runs("wake"))
{
    var schema = Bench.NewSchema();
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
    var latencies = new List<double>();
    var enqueueLatencies = new List<double>();
    for (var i = 0; i < (quick ? 50 : 300); i++)
    {
        var sent = Stopwatch.GetTimestamp();
        await producer.Tasks.EnqueueAsync(batch.Id, Bench.Noop, new NoopPayload(i));
        enqueueLatencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds); // A's own call: its commit sends the NOTIFY
        if (!await started.WaitAsync(TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException("A task enqueued on one engine did not start on the other within 20 s.");
        }

        latencies.Add(Stopwatch.GetElapsedTime(sent, Volatile.Read(ref startedAt)).TotalMilliseconds);
        await Task.Delay(10);
    }

    latencies.Sort();
    double P(double p) => latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)];
    Console.WriteLine($"wake (NOTIFY) enqueue on A -> handler start on B: p50 {P(0.5):0.0} ms, p99 {P(0.99):0.0} ms, max {latencies[^1]:0.0} ms   (target p99 < 20 ms)");
    latencies = enqueueLatencies;
    latencies.Sort();
    Console.WriteLine($"   of which A's EnqueueAsync call (4 round trips, NOTIFY at its commit): p50 {P(0.5):0.0} ms, p99 {P(0.99):0.0} ms");
    await worker.Worker.StopAsync();
    await Bench.DropAsync(connection, schema);
}

return 0;

PostgresStoreOptions PostgresStoreOptionsFor(string schema) => new() { ConnectionString = connection, Schema = schema };

public sealed record NoopPayload(int N);

[JsonSerializable(typeof(NoopPayload))]
internal sealed partial class BenchJson : JsonSerializerContext;
