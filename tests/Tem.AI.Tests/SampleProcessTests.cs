using Tem.ProviderSimulator;
using Xunit;

namespace Tem.AI.Tests;

/// <summary>
/// The samples as a user runs them: real processes, the real OpenAI and Anthropic SDKs, the provider simulator over
/// loopback with limits per model. Everything is asserted on the sample's exact last line and the server's counters.
/// </summary>
public sealed class SampleProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-ai-samples-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Db => Path.Combine(_folder, "tem.db");

    private static string Code(string client) => client == "anthropic" ? "anthropic-sample" : "openai-sample";

    private static HeaderStyle Style(string client) => client == "anthropic" ? HeaderStyle.Anthropic : HeaderStyle.OpenAi;

    /// <summary>Each model's own figures: refusals of its requests, and its busy span (its first request to its last answer) against its ideal.</summary>
    private static string PerModel(SimulatorCounters counters, IReadOnlyDictionary<string, TimeSpan> ideals)
        => string.Join("; ", counters.ByModel.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
        {
            var span = m.Value.Last - m.Value.First;
            var requests = counters.RequestsByModel[m.Key];
            return $"{m.Key}: {m.Value.Refused} of {requests} refused ({(double)m.Value.Refused / requests:P1}), busy {m.Value.First.TotalSeconds:0.0}-{m.Value.Last.TotalSeconds:0.0} s = {span.TotalSeconds:0.00} s / ideal {ideals[m.Key].TotalSeconds:0.0} s = {span / ideals[m.Key]:0.00}";
        }));

    [Theory]
    [InlineData("openai")]
    [InlineData("meai")]
    [InlineData("anthropic")]
    public async Task Two_models_at_three_times_their_limits_complete_every_document_once_with_few_refusals(string client)
    {
        // 20 requests per second per model (100 per 5 s, refilled continuously as OpenAI documents), two models; the sample
        // offers far more (16 at once, ~12 ms each).
        var options = new SimulatorOptions
        {
            RequestsPerMinute = 100, Window = TimeSpan.FromSeconds(5), Replenishment = Replenishment.Continuous, LimitsPerModel = true, Headers = Style(client),
        };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        const int Count = 600;
        var run = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", Count, Db, "--models", "small,large");
        var counters = simulator.Counters;
        // A full bucket of 100, then 20 a second: the 300th request of a model can start at 10 s.
        var ideal = TimeSpan.FromSeconds(10);
        var refusals = (double)counters.Refused / counters.Served;
        output.WriteLine($"{client}: {run.Elapsed.TotalSeconds:0.0} s process (provider busy {counters.Span.TotalSeconds:0.00} s, ideal {ideal.TotalSeconds:0} s = {counters.Span / ideal:0.00}), "
            + $"{counters.Requests} requests, {counters.Refused} refused ({refusals:P1}), per model {string.Join(", ", counters.ServedByModel.Select(m => $"{m.Key} {m.Value}"))} | "
            + PerModel(counters, new Dictionary<string, TimeSpan> { ["small"] = ideal, ["large"] = ideal }));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"batch {Code(client)}: completed, completed {Count}, failed 0, pending 0", run.LastLine);
        Assert.Equal(Count, counters.ServedDocuments.Count);
        Assert.All(counters.ServedDocuments.Values, n => Assert.Equal(1, n));
        Assert.Equal(Count / 2, counters.ServedByModel["small"]);
        Assert.Equal(Count / 2, counters.ServedByModel["large"]);
        Assert.True(refusals < 0.05, $"{refusals:P1} of requests refused");
        // Both models at once: claimed type by type, the large model's calls waited for every small one (19.5 s, 1.95x).
        // Measured 1.0x (bench/RESULTS.md); 1.6x leaves room for a loaded CI machine and still fails the serial run.
        Assert.True(counters.Span < ideal * 1.6, $"the provider was busy {counters.Span} for an ideal {ideal}: the models ran one after the other?");
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("meai")]
    [InlineData("anthropic")]
    public async Task Two_models_with_different_limits_at_once_each_stay_within_their_own(string client)
    {
        // "small" 100 and "large" 50 requests per 5 s (20/s and 10/s, refilled continuously): one bucket shared by
        // both models, or one model's headers pacing the other, would refuse the large one's requests or slow the small one.
        var options = new SimulatorOptions
        {
            RequestsPerMinute = 100, Window = TimeSpan.FromSeconds(5), Replenishment = Replenishment.Continuous, LimitsPerModel = true, Headers = Style(client),
            RequestsPerMinuteByModel = new Dictionary<string, int> { ["large"] = 50 },
        };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        const int Count = 300;
        var run = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", Count, Db, "--models", "small,large");
        var counters = simulator.Counters;
        // "large": a full bucket of 50, then 10 a second: its 150th request can start at 10 s ("small": 100, then 20 a second: 2.5 s).
        var ideal = TimeSpan.FromSeconds(10);
        var refusals = (double)counters.Refused / counters.Served;
        output.WriteLine($"{client}: {run.Elapsed.TotalSeconds:0.0} s process (provider busy {counters.Span.TotalSeconds:0.00} s, ideal {ideal.TotalSeconds:0} s = {counters.Span / ideal:0.00}), "
            + $"{counters.Requests} requests, {counters.Refused} refused ({refusals:P1}), per model {string.Join(", ", counters.ServedByModel.Select(m => $"{m.Key} {m.Value}"))} | "
            + PerModel(counters, new Dictionary<string, TimeSpan> { ["small"] = TimeSpan.FromSeconds(2.5), ["large"] = ideal }));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"batch {Code(client)}: completed, completed {Count}, failed 0, pending 0", run.LastLine);
        Assert.All(counters.ServedDocuments.Values, n => Assert.Equal(1, n));
        Assert.Equal(Count / 2, counters.ServedByModel["small"]);
        Assert.Equal(Count / 2, counters.ServedByModel["large"]);
        Assert.True(refusals < 0.05, $"{refusals:P1} of requests refused");
        Assert.All(counters.ByModel, m => Assert.True(m.Value.Refused < 0.05 * counters.RequestsByModel[m.Key], $"{m.Key}: {m.Value.Refused} refused"));
        // Measured 1.00-1.02x with both models claimed from the start (1.22x when the large model's calls waited for the small ones').
        Assert.True(counters.Span < ideal * 1.5, $"the provider was busy {counters.Span} for an ideal {ideal}");
    }

    [Fact]
    public async Task Two_models_with_different_limits_each_finish_near_their_own_ideal_not_at_the_slower_ones_pace()
    {
        // 20/s and 10/s, nothing configured, 16 slots: the large model's calls waiting for permits took most slots, so
        // the small model's calls went at the large one's pace (small 8.6 s for its 2.5 s ideal, 3.46x). Waits longer
        // than a short threshold are handed back to pending, so each model keeps its own pace.
        var options = new SimulatorOptions
        {
            RequestsPerMinute = 100, Window = TimeSpan.FromSeconds(5), Replenishment = Replenishment.Continuous, LimitsPerModel = true, Headers = Style("openai"),
            RequestsPerMinuteByModel = new Dictionary<string, int> { ["large"] = 50 },
        };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(options);
        const int Count = 300;
        var run = await SampleProcess.RunAsync("openai", simulator.BaseAddress, "key", Count, Db, "--models", "small,large");
        var counters = simulator.Counters;
        var ideals = new Dictionary<string, TimeSpan> { ["small"] = TimeSpan.FromSeconds(2.5), ["large"] = TimeSpan.FromSeconds(10) };
        output.WriteLine(PerModel(counters, ideals));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"batch {Code("openai")}: completed, completed {Count}, failed 0, pending 0", run.LastLine);
        Assert.All(counters.ServedDocuments.Values, n => Assert.Equal(1, n));
        Assert.All(counters.ByModel, m => Assert.True(m.Value.Refused < 0.03 * counters.RequestsByModel[m.Key], $"{m.Key}: {m.Value.Refused} refused"));
        Assert.All(counters.ByModel, m => Assert.True(m.Value.Last - m.Value.First <= ideals[m.Key] * 1.5,
            $"{m.Key} was busy {(m.Value.Last - m.Value.First).TotalSeconds:0.00} s for its ideal {ideals[m.Key].TotalSeconds:0.0} s"));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("meai")]
    [InlineData("anthropic")]
    public async Task A_spent_quota_interrupts_the_batch_fails_nothing_and_a_rerun_after_the_fix_completes_it_once(string client)
    {
        var account = new SimulatedAccount { QuotaAfter = 60, Style = Style(client) };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { Headers = Style(client), Account = account });
        var first = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", 200, Db, "--concurrency", "8");
        output.WriteLine($"{client}: {account.QuotaRefusals} quota refusals; {first.LastLine}");
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal($"batch {Code(client)}: interrupted, completed 60, failed 0, pending 140", first.LastLine);
        Assert.InRange(account.QuotaRefusals, 1, 8 + 5);

        account.QuotaAfter = null; // credit added
        var second = await SampleProcess.RunAsync(client, simulator.BaseAddress, "key", 200, Db, "--concurrency", "8");
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal($"batch {Code(client)}: completed, completed 200, failed 0, pending 0", second.LastLine);
        Assert.Equal(200, simulator.Counters.ServedDocuments.Count);
        Assert.All(simulator.Counters.ServedDocuments.Values, n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("meai")]
    [InlineData("anthropic")]
    public async Task A_refused_key_interrupts_the_batch_and_the_right_key_resumes_it(string client)
    {
        var account = new SimulatedAccount { ApiKey = "right", Style = Style(client) };
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { Headers = Style(client), Account = account });
        var wrong = await SampleProcess.RunAsync(client, simulator.BaseAddress, "wrong", 40, Db);
        Assert.True(wrong.ExitCode == 0, wrong.Error);
        Assert.Equal($"batch {Code(client)}: interrupted, completed 0, failed 0, pending 40", wrong.LastLine);
        Assert.Contains(wrong.Lines, l => l.StartsWith("interrupted: ", StringComparison.Ordinal) && l.Contains("API key", StringComparison.Ordinal));

        var right = await SampleProcess.RunAsync(client, simulator.BaseAddress, "right", 40, Db);
        Assert.Equal($"batch {Code(client)}: completed, completed 40, failed 0, pending 0", right.LastLine);
        Assert.All(simulator.Counters.ServedDocuments.Values, n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData("Tem.Samples.OpenAI", new[] { "--base-url", "http://127.0.0.1:1/v1", "--api-key", "k", "--db", "x.db" }, "--count is missing")]
    [InlineData("Tem.Samples.OpenAI", new[] { "--base-url", "http://127.0.0.1:1/v1", "--api-key", "k", "--count", "5", "--db", "x.db", "--client", "azure" }, "--client 'azure' must be one of openai, meai")]
    [InlineData("Tem.Samples.Anthropic", new[] { "--base-url", "nowhere", "--api-key", "k", "--count", "5", "--db", "x.db" }, "--base-url 'nowhere' is not an http(s) URL")]
    [InlineData("Tem.Samples.Anthropic", new[] { "--base-url", "http://127.0.0.1:1", "--api-key", "k", "--count", "0", "--db", "x.db" }, "--count '0' must be a whole number from 1")]
    public async Task Bad_arguments_exit_non_zero_with_what_is_wrong_and_the_usage(string project, string[] args, string message)
    {
        var run = await SampleProcess.RunAsync(project, args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: --base-url URL --api-key KEY --count N --db PATH", run.Error, StringComparison.Ordinal);
    }
}
