namespace Tem.Execution;

/// <summary>
/// What one request is charged against a token limit, learned first from the fall of the limit's reported remaining
/// between responses (the provider's own count: OpenAI charges prompt + max_tokens at admission, more than the usage
/// body reports), and from the usage bodies only while no fall was seen. Not thread-safe: <see cref="LimitGroup"/> holds its lock.
/// </summary>
internal sealed class TokenCharge
{
    private double _fromFalls;
    private int _falls;
    private double _fromUsage;
    private bool _hasPrevious;
    private double _previousRemaining;
    private double _previousAt;
    private double _previousRequests;

    /// <summary>Tokens a request is charged; 0 while unknown.</summary>
    public double PerRequest => _falls > 0 ? _fromFalls : _fromUsage;

    /// <summary>A response reported <paramref name="advertised"/>; the group had issued <paramref name="requests"/> requests by its own.</summary>
    public void OnReported(AdvertisedLimit advertised, double now, double requests, double refillPerSecond)
    {
        if (_hasPrevious && requests <= _previousRequests)
        {
            return; // answered out of order: it says nothing about the requests in between
        }

        if (_hasPrevious)
        {
            var refilled = _previousRemaining + (refillPerSecond * Math.Max(0, now - _previousAt));
            if (advertised.Limit is { } limit)
            {
                refilled = Math.Min(limit, refilled);
            }

            var fall = refilled - advertised.Remaining;
            if (fall > 0)
            {
                // No request is charged more than the whole limit: a larger fall is a wrong refill rate's doing.
                var sample = Math.Min(fall / (requests - _previousRequests), advertised.Limit ?? double.MaxValue);
                _fromFalls = _falls == 0 ? sample : (0.8 * _fromFalls) + (0.2 * sample);
                _falls++;
            }
        }

        (_hasPrevious, _previousRemaining, _previousAt, _previousRequests) = (true, advertised.Remaining, now, requests);
    }

    /// <summary>A completed call reported using <paramref name="tokens"/>.</summary>
    public void OnUsage(long tokens)
    {
        if (tokens > 0)
        {
            _fromUsage = _fromUsage == 0 ? tokens : (0.8 * _fromUsage) + (0.2 * tokens);
        }
    }
}
