using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tem.Provider.Tests;

/// <summary>What one run of a batch against the simulator gave.</summary>
public sealed record ProviderRun(BatchStats Stats, long[] TaskIdsServedTwice, TimeSpan Elapsed, string Pacing, int EffectiveConcurrency,
    IReadOnlyList<LimitGroupSnapshot>? Groups = null);

/// <summary>
/// Runs a batch of prompts through Tem, each task one completion request through <see cref="ProviderRateLimitHandler"/>:
/// a plain completion, or with <c>chatModel</c> an OpenAI chat completion of that model (a prompt of about 40
/// characters and max_tokens of the prompt's Tokens).
/// </summary>
public static class ProviderRunner
{
    public static readonly TaskType<Prompt, Completion> Complete = new("complete", ProviderJson.Default.Prompt, ProviderJson.Default.Completion, maxAttempts: 5);

    public static async Task<ProviderRun> RunAsync(string folder, ProviderSimulator.ProviderSimulator simulator, Action<TemOptions> configure, IEnumerable<Prompt> prompts,
        bool reserveTokens = false, int maxRateLimitDeferrals = 1000, string? chatModel = null)
    {
        var completedBy = new ConcurrentDictionary<int, int>();
        var options = new TemOptions
        {
            DatabasePath = Path.Combine(folder, $"tem-{Guid.NewGuid():N}.db"),
            PollInterval = TimeSpan.FromMilliseconds(100),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500) },
            MaxRateLimitDeferrals = maxRateLimitDeferrals,
        };
        configure(options);
        await using var tem = TemEngine.Open(options);
        using var http = new HttpClient(new ProviderRateLimitHandler(tem.Worker) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = simulator.BaseAddress };
        // Open the connections first, as a long-running client has them: a cold connect can delay a request's
        // arrival by more than any sensible margin, and the provider counts on arrival.
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => http.GetStringAsync("health")));
        tem.Worker.Register(Complete, async (prompt, context, ct) =>
        {
            if (reserveTokens)
            {
                await context.ReserveTokensAsync(prompt.Tokens, ct);
            }

            using var response = chatModel is null
                ? await http.PostAsJsonAsync("v1/completions", new CompletionRequest($"prompt {prompt.N}", prompt.Tokens), ProviderJson.Default.CompletionRequest, ct)
                : await http.PostAsJsonAsync("v1/chat/completions", new ChatCompletionBody(chatModel, [new("user", $"Classify doc-{prompt.N:D5} as news or other.")], prompt.Tokens),
                    ProviderJson.Default.ChatCompletionBody, ct);
            response.EnsureSuccessStatusCode();
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            completedBy.AddOrUpdate(prompt.N, 1, (_, n) => n + 1);
            var choice = body.RootElement.GetProperty("choices")[0];
            var text = chatModel is null ? choice.GetProperty("text").GetString()! : choice.GetProperty("message").GetProperty("content").GetString()!;
            return new Completion(text, body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        });
        var batch = await tem.Batches.CreateAsync("provider", "llm");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Complete, prompts);
        var clock = Stopwatch.StartNew();
        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        var elapsed = clock.Elapsed;
        return new ProviderRun(stats, completedBy.Where(p => p.Value > 1).Select(p => (long)p.Key).ToArray(), elapsed, $"{tem.Worker.Pacing}; {tem.ProviderLimits}", tem.Worker.EffectiveConcurrency,
            tem.ProviderLimits.Snapshot());
    }
}
