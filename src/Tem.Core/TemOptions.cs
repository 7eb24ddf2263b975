using Microsoft.Extensions.Logging;

namespace Tem;

/// <summary>How an engine opens its database and runs tasks. <see cref="TemEngine.Open"/> validates every value.</summary>
public sealed class TemOptions
{
    /// <summary>The SQLite database file; created with its folder's existing parent if missing. Required.</summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>How many handlers may run at once. Default 10.</summary>
    public int Concurrency { get; set; } = 10;

    /// <summary>Start-rate limits that every task start must satisfy; null for none.</summary>
    public RateLimitOptions? RateLimit { get; set; }

    /// <summary>Attempts before a task fails when its type sets none. Default 3.</summary>
    public int DefaultMaxAttempts { get; set; } = 3;

    /// <summary>Time one run may take when its type sets none. Default 5 minutes.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Backoff between attempts of a failing task.</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>How long a claimed task stays reserved for this process without renewal. Default 30 s; renewed every third of it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for work another process added or a delay that ended. Default 1 s.
    /// An enqueue in this process wakes the worker at once.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of one <see cref="RetryAfterException"/> pause. Default 5 minutes.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a task may be deferred by <see cref="RetryAfterException"/> without consuming an attempt. Default 20.</summary>
    public int MaxRateLimitDeferrals { get; set; } = 20;

    /// <summary>
    /// Adapt to the provider: start with a few handlers and double up to <see cref="Concurrency"/> (slow start), lower
    /// the number at once on overload and concurrency refusals and win it back one per round, restart slowly after a
    /// pause, and learn a start rate from 429s that come without limit headers. Null (default): on when
    /// <see cref="RateLimit"/> is not configured, off when it is. Limits a provider advertises are followed either way.
    /// </summary>
    public bool? AdaptiveConcurrency { get; set; }

    /// <summary>Commit durability. Default <see cref="TemDurability.Normal"/>.</summary>
    public TemDurability Durability { get; set; } = TemDurability.Normal;

    /// <summary>How long a statement waits for another process's write lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the engine logs; null logs nothing.</summary>
    public ILogger? Logger { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new TemConfigurationException("TemOptions.DatabasePath is empty. Set it to the SQLite file Tem should use, for example \"tem.db\".");
        }

        RequirePositive(Concurrency, nameof(Concurrency), "the number of handlers that may run at once, for example 10");
        RequirePositive(DefaultMaxAttempts, nameof(DefaultMaxAttempts), "the number of runs before a task fails, for example 3");
        RequirePositive(DefaultTimeout, nameof(DefaultTimeout));
        RequirePositive(LeaseDuration, nameof(LeaseDuration));
        RequirePositive(PollInterval, nameof(PollInterval));
        RequirePositive(MaxRetryAfter, nameof(MaxRetryAfter));
        RequirePositive(BusyTimeout, nameof(BusyTimeout));
        if (MaxRateLimitDeferrals < 0)
        {
            throw new TemConfigurationException($"TemOptions.MaxRateLimitDeferrals is {MaxRateLimitDeferrals}; it must be 0 or more.");
        }

        if (!Enum.IsDefined(Durability))
        {
            throw new TemConfigurationException($"TemOptions.Durability is {(int)Durability}, which is not a TemDurability value; use Normal or Full.");
        }

        (Retry ?? throw new TemConfigurationException("TemOptions.Retry is null; leave it at its default or set a RetryOptions.")).Validate();
        RateLimit?.Validate();
    }

    private static void RequirePositive(int value, string name, string meaning)
    {
        if (value < 1)
        {
            throw new TemConfigurationException($"TemOptions.{name} is {value}; it must be at least 1 ({meaning}).");
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new TemConfigurationException($"TemOptions.{name} is {value}; it must be a positive time span.");
        }
    }
}
