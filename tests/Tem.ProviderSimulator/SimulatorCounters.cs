using System.Collections.Concurrent;

namespace Tem.ProviderSimulator;

/// <summary>What the simulator served and refused, for assertions.</summary>
public sealed class SimulatorCounters
{
    private readonly ConcurrentQueue<(TimeSpan At, int Status)> _answers = new();
    private long _requests, _served, _rateLimited, _concurrencyRefused, _overloaded, _serverErrors, _malformed, _tokensServed;
    private int _inFlight, _peakInFlight;
    private long _lastAnswerTicks;

    /// <summary>Every request received.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered 200 with a well-formed completion.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests refused with 429 for a rate limit.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Requests refused because too many were in flight.</summary>
    public long ConcurrencyRefused => Interlocked.Read(ref _concurrencyRefused);

    /// <summary>Requests answered 529 "overloaded".</summary>
    public long Overloaded => Interlocked.Read(ref _overloaded);

    /// <summary>Every refusal: rate limit, concurrency and overload.</summary>
    public long Refused => RateLimited + ConcurrencyRefused + Overloaded;

    /// <summary>Requests failed with a random 5xx.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Requests answered with a malformed body.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Tokens of the served requests.</summary>
    public long TokensServed => Interlocked.Read(ref _tokensServed);

    /// <summary>Most requests in flight at once.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Every answer's status with its time since the first request.</summary>
    public IReadOnlyList<(TimeSpan At, int Status)> Answers => _answers.ToArray();

    internal int Enter()
    {
        Interlocked.Increment(ref _requests);
        var now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, now, peak) != peak)
        {
        }

        return now;
    }

    internal void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>From the first request's arrival to the last answer's end: how long the provider was busy with the batch.</summary>
    public TimeSpan Span => TimeSpan.FromTicks(Interlocked.Read(ref _lastAnswerTicks));

    private readonly ConcurrentDictionary<string, (TimeSpan First, TimeSpan Last, int Refused)> _byModel = new(StringComparer.Ordinal);

    /// <summary>
    /// Per model: its first request's arrival and its last answer's end (since the batch's first request), and how many
    /// of its requests were refused (429, concurrency, 529): a model's own busy span is Last − First.
    /// </summary>
    public IReadOnlyDictionary<string, (TimeSpan First, TimeSpan Last, int Refused)> ByModel => new Dictionary<string, (TimeSpan, TimeSpan, int)>(_byModel);

    internal void Answer(TimeSpan at, int status, TimeSpan endedAt, string? model = null)
    {
        if (model is not null)
        {
            var refused = status is 429 or 503 or 529 ? 1 : 0;
            _byModel.AddOrUpdate(model, static (_, a) => (a.At, a.EndedAt, a.Refused),
                static (_, seen, a) => (seen.First < a.At ? seen.First : a.At, seen.Last > a.EndedAt ? seen.Last : a.EndedAt, seen.Refused + a.Refused), (At: at, EndedAt: endedAt, Refused: refused));
        }

        _answers.Enqueue((at, status));
        var ticks = endedAt.Ticks;
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _lastAnswerTicks)) && Interlocked.CompareExchange(ref _lastAnswerTicks, ticks, seen) != seen)
        {
        }
    }

    private readonly ConcurrentDictionary<string, int> _servedDocuments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _servedByModel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requestsByModel = new(StringComparer.Ordinal);

    /// <summary>How many times each document ("doc-N" in a chat request) was served: 1 each when everything ran exactly once.</summary>
    public IReadOnlyDictionary<string, int> ServedDocuments => new Dictionary<string, int>(_servedDocuments);

    /// <summary>Served requests per model (the body's "model").</summary>
    public IReadOnlyDictionary<string, int> ServedByModel => new Dictionary<string, int>(_servedByModel);

    /// <summary>Received requests per model, refused ones included.</summary>
    public IReadOnlyDictionary<string, int> RequestsByModel => new Dictionary<string, int>(_requestsByModel);

    internal void Receive(string model) => _requestsByModel.AddOrUpdate(model, 1, static (_, n) => n + 1);

    /// <summary>Counts a served request; returns its serial number (the response's id).</summary>
    internal long Serve(int tokens, string model = "", string? document = null)
    {
        Interlocked.Add(ref _tokensServed, tokens);
        _servedByModel.AddOrUpdate(model, 1, static (_, n) => n + 1);
        if (document is not null)
        {
            _servedDocuments.AddOrUpdate(document, 1, static (_, n) => n + 1);
        }

        return Interlocked.Increment(ref _served);
    }

    internal void RateLimit() => Interlocked.Increment(ref _rateLimited);

    internal void RefuseConcurrency() => Interlocked.Increment(ref _concurrencyRefused);

    internal void Overload() => Interlocked.Increment(ref _overloaded);

    internal void ServerError() => Interlocked.Increment(ref _serverErrors);

    internal void MalformedBody() => Interlocked.Increment(ref _malformed);
}
