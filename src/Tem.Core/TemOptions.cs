using Microsoft.Extensions.Logging;

namespace Tem;

/// <summary>How an engine opens its database and runs tasks. <see cref="TemEngine.Open"/> validates every value.</summary>
public sealed class TemOptions
{
    /// <summary>
    /// The SQLite database file, created if missing (its folder must exist): the shorthand for a
    /// <see cref="SqliteStoreOptions"/> with <see cref="Durability"/> and <see cref="BusyTimeout"/>. Set this or <see cref="Store"/>.
    /// </summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>The store to use instead of <see cref="DatabasePath"/>: a <see cref="SqliteStoreOptions"/>, or another database's options.</summary>
    public TemStoreOptions? Store { get; set; }

    /// <summary>How many handlers may run at once. Default 10.</summary>
    public int Concurrency { get; set; } = 10;

    /// <summary>Start-rate limits that every task start must satisfy; null for none.</summary>
    public RateLimitOptions? RateLimit { get; set; }

    /// <summary>
    /// The pacing of provider calls per limit group (<see cref="Tem.ProviderLimits"/>), made before the engine so that
    /// clients built first can use it; null: the engine makes its own. Either way <see cref="TemEngine.ProviderLimits"/> is it.
    /// </summary>
    public ProviderLimits? ProviderLimits { get; set; }

    /// <summary>
    /// Prices by model name (USD per 1M tokens) that turn each call's stored usage into cost, for reports and for
    /// <see cref="BatchBudget.MaxCost"/>; a batch's own <see cref="BatchBudget.Prices"/> take precedence. Null for none:
    /// Tem ships no price list, since one would go stale without a word.
    /// </summary>
    public IReadOnlyDictionary<string, ModelPrice>? Prices { get; set; }

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
    /// Whether a <see cref="ProviderAccountException"/> (quota spent, billing off, key refused) interrupts its batch at once
    /// with <see cref="InterruptionKind.Quota"/>, <see cref="InterruptionKind.Billing"/> or <see cref="InterruptionKind.Credentials"/>,
    /// the refused task going back to pending without using an attempt, so that <c>Batches.ResumeAsync</c> carries on once
    /// the account is fixed. Default true. When false, the task fails at once instead (no retry).
    /// </summary>
    public bool InterruptOnAccountErrors { get; set; } = true;

    /// <summary>
    /// Exception types that fail a task at once instead of being retried, because another attempt would throw the same:
    /// an exception of one of these types or a type derived from one fails its task on the first attempt. Defaults:
    /// <see cref="NotSupportedException"/> (among others what System.Text.Json and SDKs throw when reflection is not
    /// available under NativeAOT), <see cref="NotImplementedException"/>, <see cref="ArgumentException"/> (and its
    /// null and out-of-range kinds: a request built wrongly from its payload), <see cref="InvalidCastException"/>,
    /// <see cref="MissingMemberException"/>, <see cref="TypeLoadException"/> and <see cref="TypeInitializationException"/>
    /// (code or metadata missing from the build). Not among them: <see cref="System.Text.Json.JsonException"/> and
    /// <see cref="FormatException"/>, since a model's reply that does not parse may parse on the next attempt. Clear the
    /// list to retry everything.
    /// </summary>
    public IList<Type> NonRetryableExceptionTypes { get; set; } = DefaultNonRetryableExceptionTypes();

    /// <summary>A new list of the default <see cref="NonRetryableExceptionTypes"/>.</summary>
    public static IList<Type> DefaultNonRetryableExceptionTypes() =>
    [
        typeof(NotSupportedException), typeof(NotImplementedException), typeof(ArgumentException), typeof(InvalidCastException),
        typeof(MissingMemberException), typeof(TypeLoadException), typeof(TypeInitializationException),
    ];

    /// <summary>
    /// Adapt to the provider: start with a few handlers and double up to <see cref="Concurrency"/> (slow start), lower
    /// the number at once on overload and concurrency refusals and win it back one per round, restart slowly after a
    /// pause, and learn a start rate from 429s that come without limit headers. Null (default): on when
    /// <see cref="RateLimit"/> is not configured, off when it is. Limits a provider advertises are followed either way.
    /// </summary>
    public bool? AdaptiveConcurrency { get; set; }

    /// <summary>Commit durability of the <see cref="DatabasePath"/> file. Default <see cref="TemDurability.Normal"/>.</summary>
    public TemDurability Durability { get; set; } = TemDurability.Normal;

    /// <summary>How long a statement on the <see cref="DatabasePath"/> file waits for another process's write lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Which batches this engine's worker claims from; null (the default) for every active batch.</summary>
    public WorkerScope? Scope { get; set; }

    /// <summary>
    /// Interruption criteria every batch gets, merged with the batch's own when it is created: for each criterion
    /// the stricter value wins (the lower limit, the shorter runtime, the smaller error-rate sample). Set once as a
    /// team's safety net. Null for none.
    /// </summary>
    public InterruptionCriteria? DefaultInterruptionCriteria { get; set; }

    /// <summary>
    /// Where the engine logs. Null (the default): warnings and errors go to standard error, one line each (a task that
    /// failed for good, types no worker handles, a lost database...). Set <c>NullLogger.Instance</c> to log nothing;
    /// Tem.Hosting sets the host's logger.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Called once in this engine for each end of a batch — completed, completed with failures, interrupted or
    /// cancelled — that happens while the engine is open, whichever process or machine decided it: an app can notify
    /// someone or create the next batch. Calls come one at a time, off the worker's path, soon after the end (at once
    /// for ends in this process and, on PostgreSQL, from other machines; within <see cref="PollInterval"/> otherwise),
    /// and ends seen before the engine is disposed are still delivered by <see cref="TemEngine.DisposeAsync"/>. Every
    /// engine with a callback is called, so an action that must happen once across machines should be idempotent
    /// (create the next batch with <see cref="BatchService.GetOrCreateAsync"/> and a code derived from this one). An
    /// exception is logged and does not stop later calls. Do not dispose the engine from the callback. Null (the
    /// default) watches nothing.
    /// </summary>
    public Func<BatchEnded, CancellationToken, ValueTask>? OnBatchEnded { get; set; }

    /// <summary>Where the default logger writes (tests only); standard error when null.</summary>
    internal TextWriter? StandardError { get; set; }

    private ILogger? _defaultLogger;

    /// <summary><see cref="Logger"/>, or the warnings-to-stderr logger when it is not set.</summary>
    internal ILogger EffectiveLogger => Logger ?? (_defaultLogger ??= new Execution.StandardErrorLogger(StandardError ?? Console.Error, TimeProvider.System));

    /// <summary>The most handlers one worker may run at once.</summary>
    internal const int MaxConcurrency = 10_000;

    /// <summary>The longest time span a timer accepts (about 24.8 days): longer timeouts and leases could never fire.</summary>
    internal static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>The store these options name: <see cref="Store"/>, or the SQLite file of <see cref="DatabasePath"/>.</summary>
    internal TemStoreOptions ResolveStore() => Store ?? new SqliteStoreOptions { Path = DatabasePath, Durability = Durability, BusyTimeout = BusyTimeout };

    /// <summary>
    /// How long a task whose run was lost (its process died) waits before it is claimed again, per attempt used:
    /// long enough that a restarted process does other work first, so a crash loop does not keep charging the same
    /// innocent tasks, and never longer than a lease.
    /// </summary>
    internal TimeSpan LostRunDelay
    {
        get
        {
            var delay = Retry.BaseDelay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : Retry.BaseDelay;
            return delay < LeaseDuration ? delay : LeaseDuration;
        }
    }

    internal void Validate()
    {
        if (Store is not null && !string.IsNullOrEmpty(DatabasePath))
        {
            throw new TemConfigurationException("TemOptions sets both DatabasePath and Store. Set one: DatabasePath for a SQLite file, or Store for any store.");
        }

        ResolveStore().Validate();
        RequireInRange(Concurrency, MaxConcurrency, nameof(Concurrency), "the number of handlers that may run at once, for example 10");
        RequireInRange(DefaultMaxAttempts, 1_000_000, nameof(DefaultMaxAttempts), "the number of runs before a task fails, for example 3");
        RequireInRange(DefaultTimeout, MaxTimer, nameof(DefaultTimeout));
        RequireInRange(LeaseDuration, TimeSpan.FromDays(1), nameof(LeaseDuration));
        RequireInRange(PollInterval, TimeSpan.FromHours(1), nameof(PollInterval));
        RequireInRange(MaxRetryAfter, TimeSpan.FromDays(1), nameof(MaxRetryAfter));
        if (MaxRateLimitDeferrals < 0)
        {
            throw new TemConfigurationException($"TemOptions.MaxRateLimitDeferrals is {MaxRateLimitDeferrals}; it must be 0 or more.");
        }

        (Retry ?? throw new TemConfigurationException("TemOptions.Retry is null; leave it at its default or set a RetryOptions.")).Validate();
        Scope?.Validate();
        if (NonRetryableExceptionTypes is null || NonRetryableExceptionTypes.Any(t => t is null || !typeof(Exception).IsAssignableFrom(t)))
        {
            throw new TemConfigurationException("TemOptions.NonRetryableExceptionTypes must be a list of exception types (types derived from System.Exception); use an empty list to retry every exception.");
        }

        DefaultInterruptionCriteria?.Validate();
        RateLimit?.Validate();
        PriceTable.Validate(Prices);
    }

    private static void RequireInRange(int value, int maximum, string name, string meaning)
    {
        if (value < 1 || value > maximum)
        {
            throw new TemConfigurationException($"TemOptions.{name} is {value}; it must be between 1 and {maximum:N0} ({meaning}).");
        }
    }

    private static void RequireInRange(TimeSpan value, TimeSpan maximum, string name)
    {
        if (value <= TimeSpan.Zero || value > maximum)
        {
            throw new TemConfigurationException($"TemOptions.{name} is {value}; it must be a positive time span of at most {maximum}.");
        }
    }
}
