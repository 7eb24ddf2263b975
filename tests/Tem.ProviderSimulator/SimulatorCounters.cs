namespace Tem.ProviderSimulator;

/// <summary>What the simulator served and refused, for assertions.</summary>
public sealed class SimulatorCounters
{
    private long _requests, _served, _rateLimited, _overloaded, _serverErrors, _malformed, _tokensServed;

    /// <summary>Every request received.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered 200 with a well-formed completion.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests refused with 429.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Requests refused with 503 (too many at once).</summary>
    public long Overloaded => Interlocked.Read(ref _overloaded);

    /// <summary>Requests failed with a random 5xx.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Requests answered with a malformed body.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Tokens of the served requests.</summary>
    public long TokensServed => Interlocked.Read(ref _tokensServed);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Serve(int tokens)
    {
        Interlocked.Increment(ref _served);
        Interlocked.Add(ref _tokensServed, tokens);
    }

    internal void RateLimit() => Interlocked.Increment(ref _rateLimited);

    internal void Overload() => Interlocked.Increment(ref _overloaded);

    internal void ServerError() => Interlocked.Increment(ref _serverErrors);

    internal void MalformedBody() => Interlocked.Increment(ref _malformed);
}
