using System.Text.Json;
using Tem.ProviderBatches;
using Tem.ProviderSimulator.Batches;

namespace Tem.Provider.Tests.Batches;

/// <summary>A simulator with its batch APIs on loopback, and both batch clients pointed at it.</summary>
internal sealed class BatchApiKit : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    private BatchApiKit(ProviderSimulator.ProviderSimulator simulator)
    {
        Simulator = simulator;
        OpenAi = new OpenAiBatchClient(_http, simulator.BaseAddress, "sk-test");
        Anthropic = new AnthropicBatchClient(_http, simulator.BaseAddress, "sk-ant-test");
    }

    public ProviderSimulator.ProviderSimulator Simulator { get; }

    public OpenAiBatchClient OpenAi { get; }

    public AnthropicBatchClient Anthropic { get; }

    public BatchApiCounters Counters => Simulator.Batches.Counters;

    public HttpClient Http => _http;

    public static async Task<BatchApiKit> StartAsync(Action<BatchSimulatorOptions>? configure = null)
    {
        var options = new ProviderSimulator.SimulatorOptions();
        configure?.Invoke(options.Batches);
        return new BatchApiKit(await ProviderSimulator.ProviderSimulator.StartAsync(options));
    }

    /// <summary>A chat completions line whose prompt is "doc-{n}".</summary>
    public static OpenAiBatchRequestLine ChatLine(int n, string model = "gpt-4o-mini", string? customId = null)
        => new(customId ?? $"task-{n}-a1", "POST", "/v1/chat/completions",
            Parse($$"""{"model":"{{model}}","max_tokens":32,"messages":[{"role":"user","content":"doc-{{n}}"}]}"""));

    /// <summary>A Messages request whose prompt is "doc-{n}"; without a model it is invalid and errors.</summary>
    public static AnthropicBatchRequest MessageRequest(int n, string? model = "claude-haiku-4-5", string? customId = null)
        => new(customId ?? $"task-{n}-a1", Parse(model is null
            ? $$"""{"max_tokens":32,"messages":[{"role":"user","content":"doc-{{n}}"}]}"""
            : $$"""{"model":"{{model}}","max_tokens":32,"messages":[{"role":"user","content":"doc-{{n}}"}]}"""));

    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Polls until <paramref name="done"/> holds, recording every status seen; fails after a generous deadline.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, List<string>? seen = null, Func<T, string>? status = null, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var value = await read();
            if (status is not null && seen is not null && (seen.Count == 0 || seen[^1] != status(value)))
            {
                seen.Add(status(value));
            }

            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not done after {timeoutSeconds} s; last seen {value}.");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Simulator.DisposeAsync();
    }
}
