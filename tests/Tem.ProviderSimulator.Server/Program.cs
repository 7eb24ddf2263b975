// The provider simulator as a process, for running the LLM samples by hand and in .ci/samples:
//   dotnet run --project tests/Tem.ProviderSimulator.Server -- [--rpm N] [--tpm N] [--window SECONDS] [--per-model]
//       [--headers openai|anthropic|none] [--quota-after N] [--api-key KEY]
// Prints "listening on URL" (the base address), then serves until stdin closes or the process is stopped; on exit it
// prints the counters.
using System.Globalization;
using Tem.ProviderSimulator;

var options = new SimulatorOptions { Window = TimeSpan.FromSeconds(double.Parse(Arg("--window") ?? "60", CultureInfo.InvariantCulture)) };
if (Arg("--rpm") is { } rpm)
{
    options.RequestsPerMinute = int.Parse(rpm, CultureInfo.InvariantCulture);
}

if (Arg("--tpm") is { } tpm)
{
    options.TokensPerMinute = int.Parse(tpm, CultureInfo.InvariantCulture);
}

options.LimitsPerModel = args.Contains("--per-model");
options.Headers = Arg("--headers") switch
{
    "anthropic" => HeaderStyle.Anthropic,
    "none" => HeaderStyle.None,
    _ => HeaderStyle.OpenAi,
};
options.Account.Style = options.Headers == HeaderStyle.Anthropic ? HeaderStyle.Anthropic : HeaderStyle.OpenAi;
options.Account.ApiKey = Arg("--api-key");
if (Arg("--quota-after") is { } quota)
{
    options.Account.QuotaAfter = long.Parse(quota, CultureInfo.InvariantCulture);
}

await using var simulator = await ProviderSimulator.StartAsync(options);
Console.WriteLine($"listening on {simulator.BaseAddress}");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
_ = Task.Run(() => { while (Console.In.ReadLine() is not null) { } stop.TrySetResult(); });
await stop.Task;
var c = simulator.Counters;
Console.WriteLine($"requests {c.Requests}, served {c.Served}, rate-limited {c.RateLimited}, quota refusals {options.Account.QuotaRefusals}, key refusals {options.Account.KeyRefusals}");

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
