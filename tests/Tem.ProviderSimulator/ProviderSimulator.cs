using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tem.ProviderSimulator;

/// <summary>
/// A loopback stand-in for an LLM endpoint (POST /v1/completions with {"prompt", "max_tokens"}, OpenAI's /v1/chat/completions,
/// Anthropic's /v1/messages; limits per model optionally) that
/// follows OpenAI's and Anthropic's published rate-limit semantics: requests and tokens per window, refilled by a
/// sliding window or continuously, advertised in either header style (reset = time until fully replenished) or not
/// at all, optionally enforced over hidden one-second windows; a concurrency cap (503 or 429 naming concurrent
/// requests); bursts of 529 "overloaded"; limits that change mid-run; random 5xx and malformed bodies.
/// Bound to 127.0.0.1 on a free port.
/// </summary>
public sealed class ProviderSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorOptions _options;
    private readonly object _lock = new();
    private readonly Dictionary<string, (ProviderLimit? Requests, ProviderLimit? Tokens)> _limits = new(StringComparer.Ordinal);
    private readonly ProviderLimit? _hidden;
    private readonly ProviderLimit? _hiddenTokens;
    private readonly Random _random;
    private long _firstRequest;
    private bool _scaled;

    private ProviderSimulator(WebApplication app, SimulatorOptions options)
    {
        _app = app;
        _options = options;
        _random = new Random(options.Seed);
        _hidden = options.HiddenRequestsPerSecond is { } rps ? new SlidingLimit(rps, TimeSpan.FromSeconds(1), TimeProvider.System) : null;
        _hiddenTokens = options.HiddenTokensPerSecond is { } tps ? new SlidingLimit(tps, TimeSpan.FromSeconds(1), TimeProvider.System) : null;
        app.MapPost("/v1/completions", http => HandleAsync(http, ChatFormat.Completion));
        app.MapPost("/v1/chat/completions", http => HandleAsync(http, ChatFormat.OpenAiChat));
        app.MapPost("/v1/messages", http => HandleAsync(http, ChatFormat.AnthropicMessages));
        app.MapGet("/health", () => "ok"); // not counted: lets a client open its connections first
        Batches = new Batches.BatchApiSimulator(app, options.Batches);
    }

    /// <summary>The provider batch APIs (OpenAI files + batches, Anthropic message batches) and their counters.</summary>
    public Batches.BatchApiSimulator Batches { get; }

    /// <summary>What was served and refused so far.</summary>
    public SimulatorCounters Counters { get; } = new();

    /// <summary>The base address, such as http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The completion endpoint's address.</summary>
    public Uri CompletionsAddress => new(BaseAddress, "v1/completions");

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

    private ProviderLimit NewLimit(long limit) => _options.Replenishment == Replenishment.Continuous
        ? new ContinuousLimit(limit, _options.Window, TimeProvider.System)
        : new SlidingLimit(limit, _options.Window, TimeProvider.System);

    /// <summary>The limits that count a request of <paramref name="model"/>: its own with <see cref="SimulatorOptions.LimitsPerModel"/>, else the one shared set.</summary>
    private (ProviderLimit? Requests, ProviderLimit? Tokens) LimitsFor(string model)
    {
        var key = _options.LimitsPerModel ? model : "";
        if (!_limits.TryGetValue(key, out var limits))
        {
            // TryGetValue, not GetValueOrDefault: a model not named would get a limit of 0, not RequestsPerMinute.
            var rpm = _options.RequestsPerMinuteByModel is { } byModel && byModel.TryGetValue(key, out var named) ? named : _options.RequestsPerMinute;
            limits = (rpm is { } r ? NewLimit(r) : null, _options.TokensPerMinute is { } tpm ? NewLimit(tpm) : null);
            _limits[key] = limits;
        }

        return limits;
    }

    private async Task HandleAsync(HttpContext http, ChatFormat format)
    {
        var inFlight = Counters.Enter();
        Interlocked.CompareExchange(ref _firstRequest, TimeProvider.System.GetTimestamp(), 0);
        var at = TimeProvider.System.GetElapsedTime(Interlocked.Read(ref _firstRequest));
        string? model = null;
        try
        {
            using var reader = new StreamReader(http.Request.Body);
            var request = ChatRequest.Read(format, await reader.ReadToEndAsync());
            if (request is null)
            {
                http.Response.StatusCode = 400;
                return;
            }

            Counters.Receive(request.Model);
            model = request.Model;

            if (await _options.Account.RefuseAsync(http))
            {
                return; // quota, billing or key: the account's answer comes before any limit is charged
            }

            if (inFlight > (_options.MaxConcurrentRequests ?? int.MaxValue))
            {
                Counters.RefuseConcurrency();
                await RefuseAsync(http, _options.ConcurrencyRefusalStatus, TimeSpan.FromSeconds(1), "concurrency_limit_error", "Too many concurrent requests for this account.");
                return;
            }

            TimeSpan latency;
            double draw;
            string? refusedOn = null;
            lock (_lock)
            {
                var limits = LimitsFor(request.Model);
                if (_options.ScaleLimitsAfter is { } after && at >= after && !_scaled)
                {
                    _scaled = true;
                    foreach (var (requests, tokens) in _limits.Values)
                    {
                        requests?.Scale(_options.LimitScale);
                        tokens?.Scale(_options.LimitScale);
                    }

                    _hidden?.Scale(_options.LimitScale);
                    _hiddenTokens?.Scale(_options.LimitScale);
                }

                if (_options.OverloadFor > TimeSpan.Zero && at >= _options.OverloadFrom && at < _options.OverloadFrom + _options.OverloadFor
                    && _random.NextDouble() < _options.OverloadShare)
                {
                    Counters.Overload();
                    http.Response.StatusCode = 529;
                }
                else if ((refusedOn = Admit(http, limits, request)) is not null)
                {
                    Counters.RateLimit();
                    http.Response.StatusCode = 429;
                }

                latency = _options.MinLatency + ((_options.MaxLatency - _options.MinLatency) * _random.NextDouble());
                draw = _random.NextDouble();
            }

            switch (http.Response.StatusCode)
            {
                case 529:
                    await WriteErrorAsync(http, "overloaded_error", "Overloaded");
                    return;
                case 429:
                    await WriteErrorAsync(http, "rate_limit_error", RateLimitMessage(request, refusedOn!));
                    return;
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

            var id = Counters.Serve(request.Charge, request.Model, request.Document);
            await request.WriteSuccessAsync(http, format, id, _options.ReportedOutputShare);
        }
        finally
        {
            Counters.Leave();
            Counters.Answer(at, http.Response.StatusCode, TimeProvider.System.GetElapsedTime(Interlocked.Read(ref _firstRequest)), model);
        }
    }

    /// <summary>
    /// The refusal's message as the provider words it, naming the limit: OpenAI's "Rate limit reached for MODEL in
    /// organization … on tokens per min (TPM): Limit …, Used …, Requested …" (note "Requested" even on a token limit),
    /// Anthropic's "This request would exceed the rate limit … of N output tokens per minute".
    /// </summary>
    private string RateLimitMessage(ChatRequest request, string limit)
    {
        var perMinute = limit == "requests" ? "requests per min (RPM)" : "tokens per min (TPM)";
        return _options.Headers == HeaderStyle.Anthropic
            ? $"This request would exceed the rate limit for your organization of {limit} per minute. For details, refer to the rate limits docs."
            : $"Rate limit reached for {request.Model} in organization org-sim on {perMinute}: Requested {request.Charge}. Please try again shortly.";
    }

    /// <summary>Checks every limit; writes the advertised ones' headers, and on refusal the retry advice. Returns the refusing limit's kind ("requests" or "tokens"), or null when admitted.</summary>
    private string? Admit(HttpContext http, (ProviderLimit? Requests, ProviderLimit? Tokens) limits, ChatRequest request)
    {
        var tokens = request.Charge;
        var (requestLimit, tokenLimit) = limits;
        TimeSpan requestWait = TimeSpan.Zero, tokenWait = TimeSpan.Zero, hiddenWait = TimeSpan.Zero;
        long requestsLeft = 0, tokensLeft = 0;
        TimeSpan requestsFull = TimeSpan.Zero, tokensFull = TimeSpan.Zero;
        var requestOk = requestLimit?.TryTake(1, out requestWait, out requestsLeft, out requestsFull) ?? true;
        var tokenOk = tokenLimit?.TryTake(tokens, out tokenWait, out tokensLeft, out tokensFull) ?? true;
        var hiddenOk = !(requestOk && tokenOk) || (_hidden?.TryTake(1, out hiddenWait, out _, out _) ?? true);
        var hiddenTokensWait = TimeSpan.Zero;
        var hiddenTokensOk = !(requestOk && tokenOk && hiddenOk) || (_hiddenTokens?.TryTake(tokens, out hiddenTokensWait, out _, out _) ?? true);
        if (!hiddenTokensOk && _hidden is not null)
        {
            _hidden.GiveBack(1);
        }

        var admitted = requestOk && tokenOk && hiddenOk && hiddenTokensOk;
        if (!admitted)
        {
            // A refused request takes nothing from any limit; its headers say what is left after the give-back, both
            // the remaining count and the time until full (read apart, they would contradict each other).
            if (requestOk && requestLimit is not null)
            {
                requestLimit.GiveBack(1);
                requestLimit.Peek(out requestsLeft, out requestsFull);
            }

            if (tokenOk && tokenLimit is not null)
            {
                tokenLimit.GiveBack(tokens);
                tokenLimit.Peek(out tokensLeft, out tokensFull);
            }
        }

        WriteLimitHeaders(http.Response.Headers, "requests", requestLimit, requestsLeft, requestsFull);
        WriteLimitHeaders(http.Response.Headers, "tokens", tokenLimit, tokensLeft, tokensFull);
        if (admitted)
        {
            return null;
        }

        var wait = new[] { requestOk ? TimeSpan.Zero : requestWait, tokenOk ? TimeSpan.Zero : tokenWait, hiddenOk ? TimeSpan.Zero : hiddenWait,
            hiddenTokensOk ? TimeSpan.Zero : hiddenTokensWait }.Max();
        if (_options.SendRetryAfter)
        {
            http.Response.Headers["retry-after-ms"] = ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
            http.Response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return !requestOk || !hiddenOk ? "requests" : "tokens";
    }

    private void WriteLimitHeaders(IHeaderDictionary headers, string kind, ProviderLimit? limit, long remaining, TimeSpan untilFull)
    {
        if (limit is null)
        {
            return;
        }

        var limitText = limit.Limit.ToString(CultureInfo.InvariantCulture);
        var remainingText = Math.Clamp(remaining, 0, limit.Limit).ToString(CultureInfo.InvariantCulture);
        switch (_options.Headers)
        {
            case HeaderStyle.OpenAi:
                if (_options.SendLimitHeader)
                {
                    headers[$"x-ratelimit-limit-{kind}"] = limitText;
                }

                headers[$"x-ratelimit-remaining-{kind}"] = remainingText;
                headers[$"x-ratelimit-reset-{kind}"] = GoDuration(untilFull);
                break;
            case HeaderStyle.Anthropic:
                if (_options.SendLimitHeader)
                {
                    headers[$"anthropic-ratelimit-{kind}-limit"] = limitText;
                }

                headers[$"anthropic-ratelimit-{kind}-remaining"] = remainingText;
                headers[$"anthropic-ratelimit-{kind}-reset"] = (DateTimeOffset.UtcNow + untilFull).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                break;
        }
    }

    private async Task RefuseAsync(HttpContext http, int status, TimeSpan retryAfter, string type, string message)
    {
        http.Response.StatusCode = status;
        if (_options.SendRetryAfter)
        {
            http.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await WriteErrorAsync(http, type, message);
    }

    private static Task WriteErrorAsync(HttpContext http, string type, string message)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync($$$"""{"type":"error","error":{"type":"{{{type}}}","message":"{{{message}}}"}}""");
    }

    /// <summary>A duration as OpenAI (Go) writes it: "166.667us", "120ms" under a second, else "1.5s" or "6m0s".</summary>
    private static string GoDuration(TimeSpan span)
    {
        if (span < TimeSpan.FromMilliseconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalMicroseconds):0.###}us");
        }

        if (span < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalMilliseconds):0.###}ms");
        }

        return span < TimeSpan.FromMinutes(1)
            ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###}s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds}s");
    }
}
