using System.Net.Http.Headers;
using Tem.Execution;

namespace Tem;

/// <summary>
/// Leave to send one call to a provider, granted by <see cref="ProviderLimits.AcquireAsync(LimitGroupKey, long, CancellationToken)"/>
/// at the moment the call leaves. Settle it once: <see cref="Complete"/> with the usage the response reported,
/// <see cref="Refused"/> when the provider refused it, or <see cref="Dispose"/> (nothing reported: the permit is
/// released and its charge stands). While it is open it is <see cref="Current"/> for the async flow that acquired
/// it, so a <see cref="ProviderRateLimitHandler"/> underneath the same call reports that response's headers to it
/// instead of taking a second permit.
/// </summary>
public sealed class ProviderCallPermit : IDisposable
{
    private static readonly AsyncLocal<ProviderCallPermit?> Ambient = new();
    private readonly LimitGroup _group;

    internal LimitGroup GroupState => _group;
    private int _settled;
    private int _requests;

    internal ProviderCallPermit(LimitGroup group, CallCost cost)
    {
        _group = group;
        Cost = cost;
    }

    /// <summary>The open permit of the current async flow, if any.</summary>
    public static ProviderCallPermit? Current => Ambient.Value is { IsOpen: true } permit ? permit : null;

    /// <summary>The group the permit was taken from.</summary>
    public LimitGroupKey Group => _group.Key;

    /// <summary>Whether the permit was granted and is not settled yet.</summary>
    public bool IsOpen => Granted && Volatile.Read(ref _settled) == 0;

    internal bool Granted { get; private set; }

    internal CallCost Cost { get; }

    /// <summary>The call's hold on its batch's budget (issue 25), settled with the permit; null outside a task.</summary>
    internal SpendHold? Spend { get; set; }

    /// <summary>Of the input tokens the response reported, those read from the provider's prompt cache (set before <see cref="Complete"/>).</summary>
    internal long? CachedInputTokens { get; set; }

    /// <summary>What the group had issued when this permit was granted, this one included.</summary>
    internal IssueMark Mark { get; private set; }

    /// <summary>How many of this group's calls were open when this one left, itself included.</summary>
    internal int InFlightAtSend { get; private set; }

    /// <summary>Reads the limit headers of a response to this call (OpenAI's <c>x-ratelimit-*</c>, Anthropic's <c>anthropic-ratelimit-*</c>).</summary>
    public void ReportHeaders(HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Volatile.Read(ref _settled) == 0)
        {
            _group.Observe(this, ProviderHeaders.Read(headers, _group.UtcNow()));
        }
    }

    /// <summary>Reads the limit headers of a response to this call, given as name/value pairs (such as an SDK's pipeline response headers).</summary>
    public void ReportHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Volatile.Read(ref _settled) == 0)
        {
            _group.Observe(this, ProviderHeaders.Read(headers, _group.UtcNow()));
        }
    }

    /// <summary>The call succeeded; <paramref name="inputTokens"/> and <paramref name="outputTokens"/> are the usage it reported, when known.</summary>
    public void Complete(long? inputTokens = null, long? outputTokens = null)
    {
        if (Settle())
        {
            _group.OnCompleted(this, inputTokens, outputTokens);
            Spend?.Complete(inputTokens, outputTokens, CachedInputTokens);
        }
    }

    /// <summary>
    /// The provider refused the call: the refusal is charged to the limit that caused it (as the last reported headers
    /// and <paramref name="refusal"/>'s message tell), and the group pauses for its Retry-After.
    /// </summary>
    public void Refused(RetryAfterException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        if (Settle())
        {
            _group.OnRefused(this, refusal, null);
            Spend?.Refused();
        }
    }

    /// <summary>Releases the permit if it was not settled; its charge stands (the request may have reached the provider).</summary>
    public void Dispose()
    {
        if (Settle())
        {
            _group.OnReleased(this);
            Spend?.Abandoned();
        }
    }

    /// <summary>A refusal read by the HTTP handler, with the body's start that may name the limit.</summary>
    internal void RefusedWithBody(RetryAfterException refusal, string? body)
    {
        if (Settle())
        {
            _group.OnRefused(this, refusal, body);
            Spend?.Refused();
        }
    }

    /// <summary>A request leaves under this permit; false for the first, which the permit counted already.</summary>
    internal bool OnRequest()
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            return false;
        }

        _group.OnExtraRequest(this);
        return true;
    }

    internal void OnGranted(IssueMark mark, int inFlight)
    {
        Mark = mark;
        InFlightAtSend = inFlight;
        Granted = true;
    }

    internal static void SetAmbient(ProviderCallPermit? permit) => Ambient.Value = permit;

    private bool Settle()
    {
        if (!Granted || Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return false;
        }

        if (ReferenceEquals(Ambient.Value, this))
        {
            Ambient.Value = null;
        }

        return true;
    }
}
