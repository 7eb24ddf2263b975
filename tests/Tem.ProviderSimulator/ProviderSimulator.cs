using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tem.ProviderSimulator;

/// <summary>
/// A loopback stand-in for an LLM completion endpoint (POST /v1/completions with {"prompt", "max_tokens"}),
/// with a provider's limits: concurrent requests (503), requests and tokens per window (429 with
/// Retry-After and x-ratelimit-* headers), random 5xx and malformed bodies. Bound to 127.0.0.1 on a free port.
/// </summary>
public sealed class ProviderSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorOptions _options;
    private readonly object _lock = new();
    private readonly SlidingLimit? _requests;
    private readonly SlidingLimit? _tokens;
    private readonly Random _random;
    private int _inFlight;

    private ProviderSimulator(WebApplication app, SimulatorOptions options)
    {
        _app = app;
        _options = options;
        _random = new Random(options.Seed);
        _requests = options.RequestsPerMinute is { } rpm ? new SlidingLimit(rpm, options.Window, TimeProvider.System) : null;
        _tokens = options.TokensPerMinute is { } tpm ? new SlidingLimit(tpm, options.Window, TimeProvider.System) : null;
        app.MapPost("/v1/completions", HandleAsync);
        app.MapGet("/health", () => "ok"); // not counted: lets a client open its connections first
    }

    /// <summary>What was served and refused so far.</summary>
    public SimulatorCounters Counters { get; } = new();

    /// <summary>The base address, such as http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts a simulator on a free loopback port.</summary>
    public static async Task<ProviderSimulator> StartAsync(SimulatorOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var simulator = new ProviderSimulator(builder.Build(), options);
        await simulator._app.StartAsync();
        var address = simulator._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return simulator;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        Counters.Request();
        int maxTokens;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body);
            maxTokens = body.RootElement.TryGetProperty("max_tokens", out var t) ? t.GetInt32() : 16;
        }
        catch (JsonException)
        {
            http.Response.StatusCode = 400;
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > (_options.MaxConcurrentRequests ?? int.MaxValue))
        {
            Interlocked.Decrement(ref _inFlight);
            Counters.Overload();
            http.Response.StatusCode = 503;
            http.Response.Headers.RetryAfter = "1";
            return;
        }

        try
        {
            TimeSpan latency;
            double draw;
            lock (_lock)
            {
                if (!Admit(http, maxTokens))
                {
                    Counters.RateLimit();
                    return;
                }

                latency = _options.MinLatency + ((_options.MaxLatency - _options.MinLatency) * _random.NextDouble());
                draw = _random.NextDouble();
            }

            await Task.Delay(latency);
            if (draw < _options.ServerErrorRate)
            {
                Counters.ServerError();
                http.Response.StatusCode = 500 + (int)(draw * 1000 % 3 * 2); // 500, 502 or 504
                return;
            }

            if (draw < _options.ServerErrorRate + _options.MalformedBodyRate)
            {
                Counters.MalformedBody();
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("{\"choices\": [ {\"text\": \"truncat");
                return;
            }

            Counters.Serve(maxTokens);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $$$"""{"choices":[{"text":"ok"}],"usage":{"total_tokens":{{{maxTokens}}}}}"""));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Checks both windows; on refusal writes 429 with the headers a real provider sends.</summary>
    private bool Admit(HttpContext http, int tokens)
    {
        TimeSpan requestWait = TimeSpan.Zero, tokenWait = TimeSpan.Zero;
        long requestsLeft = 0, tokensLeft = 0;
        TimeSpan requestReset = TimeSpan.Zero, tokenReset = TimeSpan.Zero;
        var requestOk = _requests?.TryTake(1, out requestWait, out requestsLeft, out requestReset) ?? true;
        var tokenOk = !requestOk || (_tokens?.TryTake(tokens, out tokenWait, out tokensLeft, out tokenReset) ?? true);
        var headers = http.Response.Headers;
        if (_requests is not null)
        {
            headers["x-ratelimit-limit-requests"] = _requests.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = requestsLeft.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = Seconds(requestReset);
        }

        if (_tokens is not null)
        {
            headers["x-ratelimit-limit-tokens"] = _tokens.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = tokensLeft.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = Seconds(tokenReset);
        }

        if (requestOk && tokenOk)
        {
            return true;
        }

        var wait = requestOk ? tokenWait : requestWait;
        http.Response.StatusCode = 429;
        headers["retry-after-ms"] = ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return false;
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalSeconds):0.###}s");
}
