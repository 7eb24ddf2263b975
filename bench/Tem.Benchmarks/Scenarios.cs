using System.Diagnostics;

namespace Tem.Benchmarks;

/// <summary>One scenario's outcome: its figures (medians), the targets it checks, and a line to print.</summary>
internal sealed class ScenarioResult(string name)
{
    public string Name { get; } = name;

    public List<(string Key, double Value)> Figures { get; } = [];

    public List<(string Target, bool Met)> Targets { get; } = [];

    public string? Skipped { get; set; }

    public ScenarioResult Add(string key, double value)
    {
        Figures.Add((key, value));
        return this;
    }

    public ScenarioResult Check(string target, bool met)
    {
        Targets.Add((target, met));
        return this;
    }

    public bool AllMet => Targets.All(t => t.Met);
}

internal sealed record Settings(bool Quick, int Runs, string? Out, IReadOnlySet<string> Only, string? AotBinary, string AotMarker);

internal sealed class Scenarios(Settings settings, Scratch scratch)
{
    private int Size(int full, int quick) => settings.Quick ? quick : full;

    private static TemOptions Options(string path, int concurrency) => new()
    {
        DatabasePath = path,
        Concurrency = concurrency,
    };

    /// <summary>Runs every code path once at a small size, untimed, so the JIT's tiers do not land in the first timed run.</summary>
    public async Task WarmUpAsync()
    {
        const int n = 3_000;
        await RunNoopAsync(scratch.NewPath("warmup"), n, -1);
        await Floor.NoopTasksPerSecondAsync(scratch, n, 64);
        await Floor.EnqueueRowsPerSecondAsync(scratch, n);
    }

    // ---- 1. enqueue ----

    public async Task<ScenarioResult> EnqueueAsync()
    {
        var n = Size(1_000_000, 20_000);
        List<double> engine = [], floor = [], peaks = [];
        var method = "";
        for (var run = 0; run < settings.Runs; run++)
        {
            var path = scratch.NewPath("enqueue");
            try
            {
                await using (var tem = TemEngine.Open(Options(path, 8)))
                {
                    var batch = await tem.Batches.CreateAsync($"enqueue-{run}", "bench");
                    using var memory = new PeakMemory();
                    var watch = Stopwatch.StartNew();
                    var result = await tem.Tasks.EnqueueManyAsync(batch.Id, BenchTypes.Small, BenchTypes.Payloads(n));
                    var seconds = watch.Elapsed.TotalSeconds;
                    peaks.Add(memory.Stop() / 1048576.0);
                    method = memory.Method;
                    Require(result.Inserted == n, $"enqueue inserted {result.Inserted} of {n}");
                    engine.Add(n / seconds);
                }
            }
            finally
            {
                Scratch.Delete(path);
            }

            floor.Add(await Floor.EnqueueRowsPerSecondAsync(scratch, n));
        }

        var ratio = Stats.Median(engine) / Stats.Median(floor);
        var peak = Stats.Median(peaks);
        return new ScenarioResult("enqueue")
            .Add("tasks", n).Add("engine_rows_per_s", Stats.Median(engine)).Add("floor_rows_per_s", Stats.Median(floor))
            .Add("ratio", ratio).Add("peak_working_set_mb", peak).Add($"peak_by_{method}", 1)
            .Check("ratio >= 0.70", ratio >= 0.70).Check("peak working set < 150 MB", peak < 150);
    }

    // ---- 2. no-op throughput ----

    /// <summary>
    /// No-op tasks at <paramref name="concurrency"/> against a floor that runs the store's claim and completion
    /// statements in groups of the same size, in one loop, in the same run.
    /// </summary>
    public async Task<ScenarioResult> NoopAsync(string name, int concurrency, int n, double minRatio, double? atLeast = null)
    {
        List<double> engine = [], floor = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            engine.Add(await RunNoopAsync(scratch.NewPath("noop"), n, run, concurrency));
            floor.Add(await Floor.NoopTasksPerSecondAsync(scratch, n, concurrency));
        }

        var median = Stats.Median(engine);
        var ratio = median / Stats.Median(floor);
        var result = new ScenarioResult(name)
            .Add("tasks", n).Add("concurrency", concurrency).Add("engine_tasks_per_s", median).Add("floor_tasks_per_s", Stats.Median(floor))
            .Add("ratio", ratio)
            .Check($"ratio >= {minRatio:0.00}", ratio >= minRatio);
        return atLeast is { } floorRate ? result.Check($"engine >= {floorRate:#,0} tasks/s", median >= floorRate) : result;
    }

    /// <summary>Enqueues <paramref name="n"/> no-op tasks (worker stopped), then times start → batch complete. Returns tasks/s.</summary>
    private static async Task<double> RunNoopAsync(string path, int n, int run, int concurrency = 64)
    {
        try
        {
            var registry = TemHandlerRegistry.Create(w => w.Register(BenchTypes.Small, static (_, _, _) => ValueTask.CompletedTask));
            await using var tem = TemEngine.Open(Options(path, concurrency), registry);
            var batch = await tem.Batches.CreateAsync($"noop-{run}", "bench");
            await tem.Tasks.EnqueueManyAsync(batch.Id, BenchTypes.Small, BenchTypes.Payloads(n));
            var watch = Stopwatch.StartNew();
            await tem.Worker.StartAsync();
            var stats = await tem.WaitForBatchAsync(batch.Id);
            var seconds = watch.Elapsed.TotalSeconds;
            Require(stats.Completed == n, $"no-op completed {stats.Completed} of {n}");
            await tem.Worker.StopAsync();
            return n / seconds;
        }
        finally
        {
            Scratch.Delete(path);
        }
    }

    // ---- 3. IO-bound ----

    public async Task<ScenarioResult> IoBoundAsync()
    {
        var n = Size(20_000, 2_000);
        const int concurrency = 200;
        const int delayMs = 20;
        var ideal = n / (double)concurrency * delayMs / 1000;
        List<double> elapsed = [], runtimeFloor = [], durableFloor = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            var path = scratch.NewPath("io");
            try
            {
                var registry = TemHandlerRegistry.Create(w => w.Register(BenchTypes.Small, static async (_, _, ct) => await Task.Delay(delayMs, ct)));
                await using var tem = TemEngine.Open(Options(path, concurrency), registry);
                var batch = await tem.Batches.CreateAsync($"io-{run}", "bench");
                await tem.Tasks.EnqueueManyAsync(batch.Id, BenchTypes.Small, BenchTypes.Payloads(n));
                var watch = Stopwatch.StartNew();
                await tem.Worker.StartAsync();
                var stats = await tem.WaitForBatchAsync(batch.Id);
                elapsed.Add(watch.Elapsed.TotalSeconds);
                Require(stats.Completed == n, $"io-bound completed {stats.Completed} of {n}");
                await tem.Worker.StopAsync();
            }
            finally
            {
                Scratch.Delete(path);
            }

            runtimeFloor.Add(await RuntimeFloorAsync(n, concurrency, delayMs));
            durableFloor.Add(await Floor.IoBoundDurableSecondsAsync(scratch, n, concurrency, delayMs));
        }

        var median = Stats.Median(elapsed);
        var runtime = Stats.Median(runtimeFloor);
        var durable = Stats.Median(durableFloor);
        return new ScenarioResult("io-bound")
            .Add("tasks", n).Add("concurrency", concurrency).Add("handler_ms", delayMs).Add("ideal_s", ideal).Add("elapsed_s", median)
            .Add("ratio_to_ideal", median / ideal).Add("runtime_floor_s", runtime).Add("ratio_to_runtime_floor", median / runtime)
            .Add("durable_floor_s", durable).Add("durable_floor_to_ideal", durable / ideal).Add("ratio_to_durable_floor", median / durable)
            .Check("elapsed <= 1.05 x ideal", median <= 1.05 * ideal);
    }

    /// <summary>
    /// The runtime's own floor for the IO-bound scenario: the same awaits under a semaphore of the same width,
    /// no database and no engine. What it loses to the ideal is timer granularity and scheduling on this machine.
    /// </summary>
    private static async Task<double> RuntimeFloorAsync(int n, int concurrency, int delayMs)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var watch = Stopwatch.StartNew();
        var running = new List<Task>(n);
        for (var i = 0; i < n; i++)
        {
            await slots.WaitAsync();
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(delayMs);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(running);
        return watch.Elapsed.TotalSeconds;
    }

    // ---- 4. rate-limit precision ----

    public async Task<ScenarioResult> RateLimitAsync()
    {
        var n = Size(600, 300);
        const int perSecond = 100;
        // Starts come in bursts of `perSecond`, one window apart: the last burst starts (n - perSecond) / perSecond s after the first.
        var ideal = (n - perSecond) / (double)perSecond;
        List<double> elapsed = [], maxInWindow = [], violations = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            var path = scratch.NewPath("rate");
            try
            {
                var starts = new long[n];
                var count = 0;
                var registry = TemHandlerRegistry.Create(w => w.Register(BenchTypes.Small, (_, _, _) =>
                {
                    var i = Interlocked.Increment(ref count) - 1;
                    if (i < starts.Length)
                    {
                        starts[i] = Stopwatch.GetTimestamp();
                    }

                    return ValueTask.CompletedTask;
                }));
                var options = Options(path, 64);
                options.RateLimit = new RateLimitOptions { PerSecond = perSecond };
                await using var tem = TemEngine.Open(options, registry);
                var batch = await tem.Batches.CreateAsync($"rate-{run}", "bench");
                await tem.Tasks.EnqueueManyAsync(batch.Id, BenchTypes.Small, BenchTypes.Payloads(n));
                var watch = Stopwatch.StartNew();
                await tem.Worker.StartAsync();
                var stats = await tem.WaitForBatchAsync(batch.Id);
                elapsed.Add(watch.Elapsed.TotalSeconds);
                Require(stats.Completed == n && count == n, $"rate-limit completed {stats.Completed} of {n} ({count} starts)");
                await tem.Worker.StopAsync();
                var (max, over) = SlidingWindows(starts, Stopwatch.Frequency, perSecond);
                maxInWindow.Add(max);
                violations.Add(over);
            }
            finally
            {
                Scratch.Delete(path);
            }
        }

        var median = Stats.Median(elapsed);
        var worstViolations = violations.Max();
        return new ScenarioResult("rate-limit")
            .Add("tasks", n).Add("per_second", perSecond).Add("ideal_s", ideal).Add("elapsed_s", median).Add("ratio_to_ideal", median / ideal)
            .Add("max_starts_in_any_1s", maxInWindow.Max()).Add("windows_over_limit", worstViolations)
            .Check("zero 1 s windows over 100 (every run)", worstViolations == 0).Check("elapsed <= 1.03 x ideal", median <= 1.03 * ideal);
    }

    /// <summary>
    /// Slides a one-second window over the start times: for each start, the starts in the one second that ends
    /// at it (a window holding the most starts can always be moved to end at a start). Returns the most starts in
    /// any window and how many window placements (one per start) held more than <paramref name="limit"/>.
    /// </summary>
    internal static (int Max, int Over) SlidingWindows(long[] timestamps, long ticksPerSecond, int limit)
    {
        var sorted = timestamps.Order().ToArray();
        int max = 0, over = 0, first = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            while (sorted[i] - sorted[first] >= ticksPerSecond)
            {
                first++;
            }

            var inWindow = i - first + 1;
            max = Math.Max(max, inWindow);
            if (inWindow > limit)
            {
                over++;
            }
        }

        return (max, over);
    }

    // ---- 5. flat claim cost ----

    public Task<ScenarioResult> FlatClaimAsync() => ClaimBesideRowsAsync("flat-claim", "completed_rows_already", held: false);

    /// <summary>No-op beside the pending rows of an interrupted batch, which no claim may take and none should read.</summary>
    public Task<ScenarioResult> HeldRowsAsync() => ClaimBesideRowsAsync("held-rows", "held_pending_rows", held: true);

    private async Task<ScenarioResult> ClaimBesideRowsAsync(string name, string rowsLabel, bool held)
    {
        var rows = held ? Size(200_000, 50_000) : Size(1_000_000, 50_000);
        var n = Size(200_000, 10_000);
        var template = scratch.NewPath(name + "-template");
        var build = Stopwatch.StartNew();
        await Floor.BuildHistoryFileAsync(template, rows, held);
        var buildSeconds = build.Elapsed.TotalSeconds;
        List<double> full = [], empty = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            var path = scratch.NewPath(name);
            File.Copy(template, path);
            // Empty and full runs interleave, so the ratio compares like with like on a noisy machine.
            full.Add(await RunNoopAsync(path, n, run));
            empty.Add(await RunNoopAsync(scratch.NewPath("noop"), n, run));
        }

        Scratch.Delete(template);
        var emptyMedian = Stats.Median(empty);
        var fullMedian = Stats.Median(full);
        var ratio = fullMedian / emptyMedian;
        return new ScenarioResult(name)
            .Add(rowsLabel, rows).Add("tasks", n).Add("build_rows_s", buildSeconds)
            .Add("engine_tasks_per_s_full_file", fullMedian).Add("engine_tasks_per_s_empty_file", emptyMedian).Add("ratio", ratio)
            .Check("full file within 10% of empty", ratio >= 0.90);
    }

    // ---- 6. cold start ----

    public async Task<ScenarioResult> ColdStartAsync()
    {
        var result = new ScenarioResult("cold-start");
        if (settings.AotBinary is null || !File.Exists(settings.AotBinary))
        {
            result.Skipped = settings.AotBinary is null
                ? "no --aot-binary PATH given (the NativeAOT sample is built on another branch)"
                : $"--aot-binary '{settings.AotBinary}' does not exist";
            return result;
        }

        List<double> firstHandler = [], rss = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            var folder = Directory.CreateTempSubdirectory("tem-bench-aot-").FullName;
            try
            {
                var (ms, peak) = await ColdStartOnceAsync(settings.AotBinary, settings.AotMarker, folder);
                firstHandler.Add(ms);
                rss.Add(peak / 1048576.0);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        var median = Stats.Median(firstHandler);
        return result
            .Add("start_to_first_handler_ms", median).Add("binary_mb", new FileInfo(settings.AotBinary).Length / 1048576.0)
            .Add("peak_rss_mb", Stats.Median(rss))
            .Check("first handler < 50 ms", median < 50);
    }

    /// <summary>Starts the binary in an empty folder; the first stdout line containing the marker is its first handler call.</summary>
    private static async Task<(double Ms, long PeakRss)> ColdStartOnceAsync(string binary, string marker, string folder)
    {
        var info = new ProcessStartInfo(Path.GetFullPath(binary))
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["TEM_BENCH"] = "1";
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {binary}");
        var statusFile = $"/proc/{process.Id}/status";
        long peak = 0;
        double? seen = null;
        var stderr = process.StandardError.ReadToEndAsync();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            peak = Math.Max(peak, PeakMemory.ReadHighWaterMark(statusFile));
            if (seen is null && line.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                seen = Stats.Ms(start, Stopwatch.GetTimestamp());
            }
        }

        await process.WaitForExitAsync();
        await stderr;
        return seen is { } ms
            ? (ms, peak)
            : throw new InvalidOperationException($"{binary} exited ({process.ExitCode}) without printing a line containing '{marker}'; pass the first-handler marker with --aot-marker.");
    }

    // ---- 7. latency ----

    public async Task<ScenarioResult> LatencyAsync()
    {
        var samples = Size(500, 40);
        const int warmup = 5;
        List<double> p50 = [], p99 = [], max = [];
        for (var run = 0; run < settings.Runs; run++)
        {
            var path = scratch.NewPath("latency");
            try
            {
                TaskCompletionSource<long>? waiting = null;
                var registry = TemHandlerRegistry.Create(w => w.Register(BenchTypes.Small, (_, _, _) =>
                {
                    Volatile.Read(ref waiting)?.TrySetResult(Stopwatch.GetTimestamp());
                    return ValueTask.CompletedTask;
                }));
                // The default 1 s poll: anything near it means the worker was polled, not woken.
                await using var tem = TemEngine.Open(Options(path, 8), registry);
                var batch = await tem.Batches.CreateAsync($"latency-{run}", "bench");
                await tem.Worker.StartAsync();
                await Task.Delay(100); // let the dispatcher go idle
                var latencies = new List<double>(samples);
                for (var i = 0; i < samples + warmup; i++)
                {
                    var signal = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Volatile.Write(ref waiting, signal);
                    var start = Stopwatch.GetTimestamp();
                    await tem.Tasks.EnqueueAsync(batch.Id, BenchTypes.Small, new SmallPayload(i, "latency"));
                    var handlerStart = await signal.Task.WaitAsync(TimeSpan.FromSeconds(10));
                    if (i >= warmup)
                    {
                        latencies.Add(Stats.Ms(start, handlerStart));
                    }

                    await Task.Delay(10); // the completion is written and the worker idles again
                }

                p50.Add(Stats.Percentile(latencies, 50));
                p99.Add(Stats.Percentile(latencies, 99));
                max.Add(latencies.Max());
                await tem.Worker.StopAsync();
            }
            finally
            {
                Scratch.Delete(path);
            }
        }

        var p99Median = Stats.Median(p99);
        return new ScenarioResult("latency")
            .Add("samples", samples).Add("p50_ms", Stats.Median(p50)).Add("p99_ms", p99Median).Add("max_ms", Stats.Median(max))
            .Check("p99 < 5 ms", p99Median < 5);
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark run is invalid: {what}.");
        }
    }
}
