using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tem.Benchmarks;

// Whole-engine benchmarks of Tem against SQLite's own floor. See bench/RESULTS.md.
//   dotnet run -c Release --project bench/Tem.Benchmarks -- [--quick] [--runs N] [--out FILE]
//       [--scenario NAME]... [--aot-binary PATH] [--aot-marker TEXT]

string[] all = ["enqueue", "noop", "noop-c10", "noop-c1", "io-bound", "rate-limit", "flat-claim", "held-rows", "cold-start", "latency"];
Settings settings;
try
{
    settings = Parse(args, all);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("usage: Tem.Benchmarks [--quick] [--runs N] [--out FILE] [--scenario NAME]... [--aot-binary PATH] [--aot-marker TEXT]");
    Console.Error.WriteLine($"scenarios: {string.Join(", ", all)}");
    return 2;
}

Console.WriteLine($"Tem benchmarks: {(settings.Quick ? "quick" : "full")}, median of {settings.Runs} run(s), {Environment.ProcessorCount} cores, " +
    $".NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
var total = Stopwatch.StartNew();
using var scratch = new Scratch();
var scenarios = new Scenarios(settings, scratch);
await scenarios.WarmUpAsync();
var failed = false;
foreach (var name in all.Where(n => settings.Only.Count == 0 || settings.Only.Contains(n)))
{
    ScenarioResult result;
    var watch = Stopwatch.StartNew();
    try
    {
        result = name switch
        {
            "enqueue" => await scenarios.EnqueueAsync(),
            "noop" => await scenarios.NoopAsync("noop", 64, settings.Quick ? 10_000 : 200_000, 0.80),
            // The original tem's own no-op workload (20,000 tasks at concurrency 10), where it did 847 tasks/s here.
            "noop-c10" => await scenarios.NoopAsync("noop-c10", 10, settings.Quick ? 5_000 : 20_000, 0.60, atLeast: 12 * 847),
            "noop-c1" => await scenarios.NoopAsync("noop-c1", 1, settings.Quick ? 1_000 : 10_000, 0.60),
            "io-bound" => await scenarios.IoBoundAsync(),
            "rate-limit" => await scenarios.RateLimitAsync(),
            "flat-claim" => await scenarios.FlatClaimAsync(),
            "held-rows" => await scenarios.HeldRowsAsync(),
            "cold-start" => await scenarios.ColdStartAsync(),
            _ => await scenarios.LatencyAsync(),
        };
    }
    catch (Exception ex)
    {
        Console.WriteLine($"{name,-11} ERROR {ex.GetType().Name}: {ex.Message}");
        failed = true;
        continue;
    }

    Console.WriteLine(Line(result, watch.Elapsed));
    if (settings.Out is { } file)
    {
        File.AppendAllText(file, Json(result, settings) + "\n");
    }
}

Console.WriteLine($"done in {total.Elapsed.TotalSeconds:0.0} s");
return failed ? 1 : 0;

static string Line(ScenarioResult result, TimeSpan took)
{
    var line = new StringBuilder($"{result.Name,-11}");
    if (result.Skipped is { } why)
    {
        return line.Append(" SKIPPED: ").Append(why).ToString();
    }

    foreach (var (key, value) in result.Figures)
    {
        line.Append(' ').Append(key).Append('=').Append(Format(value));
    }

    foreach (var (target, met) in result.Targets)
    {
        line.Append(" [").Append(met ? "met" : "MISSED").Append(": ").Append(target).Append(']');
    }

    return line.Append(CultureInfo.InvariantCulture, $" ({took.TotalSeconds:0.0} s)").ToString();
}

static string Format(double value) => value switch
{
    >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
    _ when value == Math.Floor(value) => value.ToString("0", CultureInfo.InvariantCulture),
    _ => value.ToString("0.###", CultureInfo.InvariantCulture),
};

static string Json(ScenarioResult result, Settings settings)
{
    using var buffer = new MemoryStream();
    using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
    {
        json.WriteStartObject();
        json.WriteString("scenario", result.Name);
        json.WriteString("date", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        json.WriteNumber("processorCount", Environment.ProcessorCount);
        json.WriteBoolean("quick", settings.Quick);
        json.WriteNumber("runs", settings.Runs);
        if (result.Skipped is { } why)
        {
            json.WriteString("skipped", why);
        }

        json.WriteStartObject("figures");
        foreach (var (key, value) in result.Figures)
        {
            json.WriteNumber(key, Math.Round(value, 4));
        }

        json.WriteEndObject();
        json.WriteStartObject("targets");
        foreach (var (target, met) in result.Targets)
        {
            json.WriteBoolean(target, met);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    return Encoding.UTF8.GetString(buffer.ToArray());
}

static Settings Parse(string[] args, string[] known)
{
    bool quick = false;
    int? runs = null;
    string? output = null, aot = null;
    var marker = "handler";
    var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
        switch (args[i])
        {
            case "--quick": quick = true; break;
            case "--runs":
                runs = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r > 0
                    ? r : throw new ArgumentException("--runs needs a positive number.");
                break;
            case "--out": output = Value(); break;
            case "--aot-binary": aot = Value(); break;
            case "--aot-marker": marker = Value(); break;
            case "--scenario":
                foreach (var name in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    only.Add(known.Contains(name, StringComparer.OrdinalIgnoreCase) ? name.ToLowerInvariant() : throw new ArgumentException($"Unknown scenario '{name}'."));
                }

                break;
            default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
        }
    }

    return new Settings(quick, runs ?? (quick ? 1 : 5), output, only, aot, marker);
}
