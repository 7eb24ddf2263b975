using System.Diagnostics;
using System.Text.Json.Serialization;
using Tem;
using Tem.Storage;
using Tem.Storage.Postgres;

// PostgreSQL scenarios of the benchmark harness (bench/RESULTS.md), each against a floor measured in the same run:
// the store's own statements in a tight loop, without the engine.
//   TEM_POSTGRES="Host=...;Username=..." dotnet run -c Release --project bench/Tem.Benchmarks.Postgres -- [--quick] [--runs N] [--only enqueue,noop,wake]
// Child modes (started by the parent): worker <schema> <batch-id> | floor <schema> | io-worker <schema> <batch-id>.
var connection = Environment.GetEnvironmentVariable("TEM_POSTGRES");
if (string.IsNullOrWhiteSpace(connection))
{
    Console.Error.WriteLine("Set TEM_POSTGRES to a connection string (source .ci/postgres starts a throw-away server).");
    return 2;
}

// A child warms up on a batch of its own (the measured batch is held interrupted meanwhile), says "ready", and
// starts the measured work when the parent, having resumed the batch, says "go": the JIT of a cold process is not timed.
if (args.Length > 0 && args[0] == "worker")
{
    await using var tem = await TemEngine.OpenAsync(Bench.Options(connection, args[1]), Bench.Registry);
    var warmUp = await tem.Batches.CreateAsync("warm-up-" + Environment.ProcessId, "bench");
    await tem.Tasks.EnqueueManyAsync(warmUp.Id, Bench.Noop, Enumerable.Range(0, 2_000).Select(i => new NoopPayload(i)));
    await tem.Worker.StartAsync();
    await tem.WaitForBatchAsync(warmUp.Id);
    await Bench.ReadyThenWaitForGoAsync();
    await tem.WaitForBatchAsync(long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

if (args.Length > 0 && args[0] == "io-worker")
{
    return await IoScenario.WorkerAsync(connection, args[1], long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)));
}

if (args.Length > 0 && args[0] == "floor")
{
    await using var store = (ITemStore)await PostgresStoreOptionsFor(args[1]).OpenAsync(TimeProvider.System, CancellationToken.None);
    var warmUp = await store.CreateBatchAsync("warm-up-" + Environment.ProcessId, "bench", null, null, CancellationToken.None);
    await store.EnqueueAsync(warmUp.Id, "noop", Enumerable.Range(0, 2_000).Select(_ => new NewTask("{}", 3, 0, TimeSpan.Zero, null)).ToArray(), CancellationToken.None);
    await Bench.FloorLoopAsync(store, "floor-" + Environment.ProcessId);
    await Bench.ReadyThenWaitForGoAsync();
    await Bench.FloorLoopAsync(store, "floor-" + Environment.ProcessId);
    return 0;
}

var quick = args.Contains("--quick");
// --only enqueue,noop,wake runs those scenarios alone (e.g. to repeat the wake-up measurement).
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
var runs = int.Parse(args.SkipWhile(a => a != "--runs").Skip(1).FirstOrDefault() ?? (quick ? "1" : "3"), System.Globalization.CultureInfo.InvariantCulture);
bool Runs(string scenario) => only is null || only.Contains(scenario);
var tasks = quick ? 4_000 : 40_000;
Console.WriteLine($"Tem PostgreSQL benchmarks: {(quick ? "quick" : "full")}, {tasks} tasks per scenario, median of {runs} run(s), " +
    $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"server: {await Bench.ServerVersionAsync(connection)}");
var scenarios = new PgScenarios(connection, tasks);

if (Runs("enqueue"))
{
    var results = await RepeatAsync(scenarios.EnqueueAsync);
    Report("enqueue    ", "rows/s ", results, "");
}

if (Runs("noop"))
{
    var one = await RepeatAsync(() => scenarios.NoopAsync(1));
    Report("noop x1    ", "tasks/s", one, "");
    var four = await RepeatAsync(() => scenarios.NoopAsync(4));
    var scaling = Median(four.Select(r => r.Engine)) / Median(one.Select(r => r.Engine));
    Report("noop x4    ", "tasks/s", four, $"   {scaling:0.00}x one process (target >= 1.8)");
}

if (Runs("io"))
{
    // Issue 26: one worker x 25 and four x 25 on ONE batch, 20 ms handlers (the issue's) and 100 ms ones (four workers'
    // ideal then stays well below what two cores can complete, so the ratio judges the store, not the CPU); the load
    // average is printed per run.
    foreach (var (handlerMs, count) in new[] { (20, quick ? 5_000 : 20_000), (100, quick ? 1_500 : 10_000) })
    {
        var io = new IoScenario(connection, count, TimeSpan.FromMilliseconds(handlerMs));
        var byProcesses = new Dictionary<int, List<double>>();
        foreach (var processes in new[] { 1, 4 })
        {
            byProcesses[processes] = [];
            for (var run = 0; run < runs; run++)
            {
                var load = LoadAverage();
                var (rate, ideal, lockShare, top) = await io.RunAsync(processes);
                byProcesses[processes].Add(rate);
                Console.WriteLine($"io{handlerMs}ms x{processes} c{IoScenario.Concurrency}  {rate,7:N0} tasks/s  ideal {ideal:N0}  {rate / ideal:0.00} x ideal  " +
                    $"lock waits {100 * lockShare:0.0}% of sampled backend time (top: {top})  load {load} -> {LoadAverage()}");
            }
        }

        Console.WriteLine($"io{handlerMs}ms x4 / x1: {Median(byProcesses[4]) / Median(byProcesses[1]):0.00} (target >= 3.6)");
    }
}

if (Runs("wake"))
{
    List<double> wake = [], enqueue = [];
    for (var run = 0; run < runs; run++)
    {
        var (w, e) = await scenarios.WakeAsync(quick ? 50 : 300);
        wake.AddRange(w);
        enqueue.AddRange(e);
    }

    Console.WriteLine($"wake (NOTIFY) enqueue on A -> handler start on B, {wake.Count} samples: p50 {Percentile(wake, 0.5):0.0} ms, " +
        $"p99 {Percentile(wake, 0.99):0.0} ms, max {wake.Max():0.0} ms   (target p99 < 20 ms)");
    Console.WriteLine($"   of which A's EnqueueAsync call (NOTIFY at its commit): p50 {Percentile(enqueue, 0.5):0.0} ms, p99 {Percentile(enqueue, 0.99):0.0} ms");
}

return 0;

async Task<List<(double Engine, double Floor)>> RepeatAsync(Func<Task<(double Engine, double Floor)>> scenario)
{
    var results = new List<(double Engine, double Floor)>();
    for (var run = 0; run < runs; run++)
    {
        results.Add(await scenario());
    }

    return results;
}

// Each run's ratio is against the floor of the same run; the median of those ratios is the figure.
void Report(string name, string unit, List<(double Engine, double Floor)> results, string extra)
{
    var ratios = results.Select(r => r.Engine / r.Floor).ToList();
    Console.WriteLine($"{name} engine {Median(results.Select(r => r.Engine)),9:N0} {unit}  floor {Median(results.Select(r => r.Floor)),9:N0} {unit}  " +
        $"ratio {Median(ratios):0.00} (runs {string.Join(", ", ratios.Select(r => r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))})   (target >= 0.6){extra}");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

PostgresStoreOptions PostgresStoreOptionsFor(string schema) => new() { ConnectionString = connection, Schema = schema };

public sealed record NoopPayload(int N);

[JsonSerializable(typeof(NoopPayload))]
internal sealed partial class BenchJson : JsonSerializerContext;
