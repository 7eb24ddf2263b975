namespace Tem;

/// <summary>Exponential backoff with jitter between the attempts of a failing task.</summary>
/// <remarks>The delay before attempt n+1 is <c>min(MaxDelay, BaseDelay × 2^(n-1))</c>, of which a random
/// share up to <see cref="JitterFraction"/> is taken off, so many tasks that failed together do not retry together.</remarks>
public sealed class RetryOptions
{
    /// <summary>The delay after the first failed attempt. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay. Default 5 minutes.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest share of the delay that jitter removes, 0 to 1. Default 0.5.</summary>
    public double JitterFraction { get; set; } = 0.5;

    internal TimeSpan DelayAfter(int attempt, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ms = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ms * (1 - (JitterFraction * random)));
    }

    internal void Validate()
    {
        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromDays(365))
        {
            throw new TemConfigurationException($"RetryOptions.BaseDelay ({BaseDelay}) must be 0 or more and MaxDelay ({MaxDelay}) at least BaseDelay and at most 365 days.");
        }

        if (double.IsNaN(JitterFraction) || JitterFraction is < 0 or > 1)
        {
            throw new TemConfigurationException($"RetryOptions.JitterFraction is {JitterFraction}; it must be between 0 and 1.");
        }
    }
}
