using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tem.ProviderSimulator;
using Xunit;

namespace Tem.Provider.Tests;

public sealed record Prompt(int N, int Tokens);

public sealed record Completion(string Text, int Tokens);

public sealed record CompletionRequest([property: JsonPropertyName("prompt")] string Prompt, [property: JsonPropertyName("max_tokens")] int MaxTokens);

public sealed record ChatMessageBody([property: JsonPropertyName("role")] string Role, [property: JsonPropertyName("content")] string Content);

/// <summary>An OpenAI chat completion request: the simulator charges its prompt (characters ÷ 4) + max_tokens at admission.</summary>
public sealed record ChatCompletionBody([property: JsonPropertyName("model")] string Model, [property: JsonPropertyName("messages")] ChatMessageBody[] Messages,
    [property: JsonPropertyName("max_tokens")] int MaxTokens);

[JsonSerializable(typeof(Prompt))]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(Completion))]
[JsonSerializable(typeof(CompletionRequest))]
internal sealed partial class ProviderJson : JsonSerializerContext;

/// <summary>
/// Tem against a real HTTP provider simulator on 127.0.0.1. Not run in parallel with each other: they
/// measure rates, and the machine has two cores.
/// </summary>
[Collection(nameof(ProviderTests))]
[CollectionDefinition(nameof(ProviderTests), DisableParallelization = true)]
public sealed class ProviderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-provider-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<ProviderRun> RunAsync(ProviderSimulator.ProviderSimulator simulator, Action<TemOptions> configure, IEnumerable<Prompt> prompts, bool reserveTokens = false)
        => ProviderRunner.RunAsync(_folder, simulator, configure, prompts, reserveTokens);

    [Fact]
    public async Task At_the_providers_limits_a_batch_completes_without_a_single_429()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            RequestsPerMinute = 200,
            Window = TimeSpan.FromSeconds(1),
            MaxConcurrentRequests = 20,
        });
        var run = await RunAsync(simulator, o =>
        {
            o.Concurrency = 20;
            // Loopback through Kestrel on a busy 2-core machine delays arrival by up to tens of ms: allow for it.
            o.RateLimit = new RateLimitOptions { PerSecond = 200, SafetyMargin = TimeSpan.FromMilliseconds(60) };
        }, Enumerable.Range(0, 2000).Select(i => new Prompt(i, 16)));

        Assert.Equal(new BatchStats(0, 0, 2000, 0, 0), run.Stats);
        Assert.Equal(0, simulator.Counters.RateLimited);
        Assert.Equal(0, simulator.Counters.ConcurrencyRefused);
        Assert.Equal(2000, simulator.Counters.Served);
        Assert.Empty(run.TaskIdsServedTwice);
    }

    [Fact]
    public async Task Token_reservations_keep_a_batch_of_varied_costs_inside_the_tokens_per_minute_window()
    {
        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions
        {
            TokensPerMinute = 4000,
            Window = TimeSpan.FromSeconds(1),
        });
        var random = new Random(7);
        var prompts = Enumerable.Range(0, 150).Select(i => new Prompt(i, random.Next(10, 300))).ToArray();
        var run = await RunAsync(simulator, o =>
        {
            o.Concurrency = 32;
            o.RateLimit = new RateLimitOptions { TokenWindows = { new RateLimitWindow(4000, TimeSpan.FromSeconds(1)) }, SafetyMargin = TimeSpan.FromMilliseconds(60) };
        }, prompts, reserveTokens: true);

        Assert.Equal(new BatchStats(0, 0, 150, 0, 0), run.Stats);
        Assert.Equal(0, simulator.Counters.RateLimited);
        Assert.Equal(prompts.Sum(p => p.Tokens), simulator.Counters.TokensServed);
        // ~23,000 tokens at 4,000 per second cannot finish in much under 5 s: the window really paced them.
        Assert.True(run.Elapsed > TimeSpan.FromSeconds(4), $"elapsed {run.Elapsed}");
    }

    [Fact]
    public async Task Retry_after_headers_and_reset_durations_are_understood()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(20), ProviderRateLimitHandler.ParseDuration("20ms"));
        Assert.Equal(TimeSpan.FromSeconds(6), ProviderRateLimitHandler.ParseDuration("6m0s") / 60);
        Assert.Equal(TimeSpan.FromSeconds(3723), ProviderRateLimitHandler.ParseDuration("1h2m3s"));
        Assert.Equal(TimeSpan.FromSeconds(1.5), ProviderRateLimitHandler.ParseDuration("1.5"));
        Assert.Null(ProviderRateLimitHandler.ParseDuration("soon"));
        Assert.Equal(TimeSpan.FromMilliseconds(0.25), ProviderRateLimitHandler.ParseDuration("250µs"));
        Assert.Equal(TimeSpan.FromMilliseconds(0.25), ProviderRateLimitHandler.ParseDuration("250us"));
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), ProviderRateLimitHandler.ParseDuration("1.5ms"));

        await using var simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new SimulatorOptions { RequestsPerMinute = 1, Window = TimeSpan.FromSeconds(30) });
        using var http = new HttpClient(new ProviderRateLimitHandler { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        (await http.PostAsJsonAsync("v1/completions", new CompletionRequest("a", 1), ProviderJson.Default.CompletionRequest)).EnsureSuccessStatusCode();
        var ex = await Assert.ThrowsAsync<RetryAfterException>(() => http.PostAsJsonAsync("v1/completions", new CompletionRequest("b", 1), ProviderJson.Default.CompletionRequest));
        Assert.InRange(ex.RetryAfter, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.StartsWith("The provider answered 429 and asked to retry after", ex.Message);
        Assert.Equal(ProviderRefusalKind.RateLimit, ex.Kind);
    }

    [Fact]
    public void Both_header_styles_and_every_refusal_kind_are_read()
    {
        var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        using var anthropic = new HttpResponseMessage();
        anthropic.Headers.Add("anthropic-ratelimit-requests-limit", "50");
        anthropic.Headers.Add("anthropic-ratelimit-requests-remaining", "20");
        anthropic.Headers.Add("anthropic-ratelimit-requests-reset", "2026-12-01T12:00:36Z");
        anthropic.Headers.Add("anthropic-ratelimit-input-tokens-limit", "40000");
        anthropic.Headers.Add("anthropic-ratelimit-input-tokens-remaining", "39000");
        anthropic.Headers.Add("anthropic-ratelimit-output-tokens-limit", "8000");
        anthropic.Headers.Add("anthropic-ratelimit-output-tokens-remaining", "100");
        anthropic.Headers.Add("anthropic-ratelimit-output-tokens-reset", "2026-12-01T12:00:59Z");
        var limits = Execution.ProviderHeaders.Read(anthropic.Headers, now);
        Assert.Equal(new Execution.AdvertisedLimit(50, 20, TimeSpan.FromSeconds(36), TimeSpan.FromSeconds(1)), limits.Requests);
        Assert.Null(limits.Tokens); // each token limit is kept apart, so a refusal is charged to the one that caused it
        Assert.Equal(new Execution.AdvertisedLimit(40000, 39000, null), limits.InputTokens);
        Assert.Equal(new Execution.AdvertisedLimit(8000, 100, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(1)), limits.OutputTokens);
        Assert.Equal(limits.OutputTokens, limits.TightestTokens);

        using var openAi = new HttpResponseMessage();
        openAi.Headers.Add("x-ratelimit-limit-requests", "500");
        openAi.Headers.Add("x-ratelimit-remaining-requests", "499");
        openAi.Headers.Add("x-ratelimit-reset-requests", "120ms");
        Assert.Equal(new Execution.AdvertisedLimit(500, 499, TimeSpan.FromMilliseconds(120), TimeSpan.FromMilliseconds(1)), Execution.ProviderHeaders.Read(openAi.Headers, now).Requests);
        Assert.True(Execution.ProviderHeaders.Read(new HttpResponseMessage().Headers, now).IsEmpty);

        Assert.Equal(ProviderRefusalKind.RateLimit, ProviderRefusal.Classify(System.Net.HttpStatusCode.TooManyRequests, "{\"error\":{\"type\":\"rate_limit_error\"}}"));
        Assert.Equal(ProviderRefusalKind.Concurrency, ProviderRefusal.Classify(System.Net.HttpStatusCode.TooManyRequests, "Too many concurrent requests"));
        Assert.Equal(ProviderRefusalKind.Concurrency, ProviderRefusal.Classify(System.Net.HttpStatusCode.ServiceUnavailable, "concurrency limit"));
        Assert.Equal(ProviderRefusalKind.Overload, ProviderRefusal.Classify(System.Net.HttpStatusCode.ServiceUnavailable, null));
        Assert.Equal(ProviderRefusalKind.Overload, ProviderRefusal.Classify((System.Net.HttpStatusCode)529, "{\"type\":\"overloaded_error\"}"));
        Assert.Null(ProviderRefusal.Classify(System.Net.HttpStatusCode.InternalServerError, null));
    }
}
