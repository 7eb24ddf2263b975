using Tem.Storage;

namespace Tem.Execution;

/// <summary>Why a handler's token was cancelled, as far as the runner knows.</summary>
internal enum RunCancellation
{
    /// <summary>Not cancelled, or cancelled by something other than the engine.</summary>
    None,

    /// <summary>The run passed its timeout.</summary>
    TimedOut,

    /// <summary>The worker stopped hard: the run is handed back without using its attempt.</summary>
    Stopped,

    /// <summary>Its batch was cancelled: the row is cancelled already.</summary>
    BatchCancelled,
}

/// <summary>
/// What a run's end means: the outcome to write (none when nothing needs writing), and whether the provider refused
/// it (the pacing then slows down as the refusal says, see <see cref="ProviderPacing.OnRefused"/>).
/// </summary>
/// <remarks><paramref name="Account"/>: the provider refused the account; the task is released and its batch is to be interrupted.</remarks>
/// <remarks><paramref name="Budget"/>: a call would have passed the batch's budget; the task is released and its batch is to be interrupted.</remarks>
internal readonly record struct RunVerdict(TaskOutcome? Outcome, bool Refused = false, ProviderAccountException? Account = null,
    BudgetExceededException? Budget = null);

/// <summary>
/// The pure rule that turns a run's end (a result, or an exception and why it was cancelled) into an outcome: no
/// clock, no store, no side effects, so each case reads and tests on its own.
/// </summary>
internal static class OutcomePolicy
{
    public static RunVerdict Completed(ClaimedTask task, string? result) => new(Outcome(task, OutcomeKind.Completed, result: result));

    /// <summary>The handler never started (its claim was too old to run): back to pending now, the attempt not counted.</summary>
    public static TaskOutcome Released(ClaimedTask task) => Outcome(task, OutcomeKind.Released);

    /// <summary>The most of an exception's text (stack trace and inner exceptions) kept per attempt.</summary>
    public const int MaxDetailLength = 16 * 1024;

    /// <param name="task">The claimed task.</param>
    /// <param name="error">What the handler threw.</param>
    /// <param name="cancellation">Why its token was cancelled, if it was.</param>
    /// <param name="timeout">The run's timeout, for the message.</param>
    /// <param name="options">Retry, MaxRetryAfter and MaxRateLimitDeferrals.</param>
    /// <param name="random">A number in [0, 1) for the backoff's jitter.</param>
    public static RunVerdict Failed(ClaimedTask task, Exception error, RunCancellation cancellation, TimeSpan timeout, TemOptions options, double random)
    {
        var verdict = Judge(task, error, cancellation, timeout, options, random);
        return verdict.Outcome is { Kind: OutcomeKind.Retry or OutcomeKind.Failed or OutcomeKind.Deferred } outcome && cancellation == RunCancellation.None
            ? verdict with { Outcome = outcome with { Detail = DetailOf(error) } }
            : verdict;
    }

    /// <summary>The exception's full text, stack traces and inner exceptions included, cut to <see cref="MaxDetailLength"/>.</summary>
    public static string DetailOf(Exception error)
    {
        var text = error.ToString();
        return text.Length <= MaxDetailLength ? text : string.Concat(text.AsSpan(0, MaxDetailLength - 40), "\n… (cut at 16 KB)");
    }

    private static RunVerdict Judge(ClaimedTask task, Exception error, RunCancellation cancellation, TimeSpan timeout, TemOptions options, double random)
    {
        if (error is OperationCanceledException && cancellation != RunCancellation.None)
        {
            return cancellation switch
            {
                RunCancellation.Stopped => new(Outcome(task, OutcomeKind.Released)),
                RunCancellation.BatchCancelled => new(null),
                _ => RetryOrFail(task, $"Timed out after {timeout.TotalSeconds:0.###} s (attempt {task.Attempt} of {task.MaxAttempts}).", options, random),
            };
        }

        if (LimitGroupHandBackException.In(error) is { } handBack)
        {
            // Nothing was sent: back to pending once the group's wait has passed, the attempt not counted.
            return new(Outcome(task, OutcomeKind.Released, delay: handBack.Wait));
        }

        return error switch
        {
            RetryAfterException refused => Refused(task, refused, options, random),
            _ when BudgetRefusal(error) is { } budget => new(Outcome(task, OutcomeKind.Released), Budget: budget),
            ProviderAccountException account when options.InterruptOnAccountErrors => new(Outcome(task, OutcomeKind.Released), Account: account),
            ProviderAccountException => new(Outcome(task, OutcomeKind.Failed, error: $"{Describe(error)} (TemOptions.InterruptOnAccountErrors is off, so the task failed at once.)")),
            NonRetryableException or PayloadFormatException or ResultFormatException => new(Outcome(task, OutcomeKind.Failed, error: Describe(error))),
            _ when IsDeterministic(error, options) => new(Outcome(task, OutcomeKind.Failed,
                error: $"{Describe(error)} (Failed at once: {error.GetType().FullName} is in TemOptions.NonRetryableExceptionTypes, errors another attempt would repeat; remove its type there to retry it.)")),
            _ => RetryOrFail(task, Describe(error), options, random),
        };
    }

    /// <summary>The provider refused: wait its delay without using an attempt, within MaxRateLimitDeferrals.</summary>
    private static RunVerdict Refused(ClaimedTask task, RetryAfterException refused, TemOptions options, double random)
    {
        var delay = refused.RetryAfter < options.MaxRetryAfter ? refused.RetryAfter : options.MaxRetryAfter;
        var verdict = task.RateLimitDeferrals < options.MaxRateLimitDeferrals
            ? new RunVerdict(Outcome(task, OutcomeKind.Deferred, error: Describe(refused), delay: delay))
            : RetryOrFail(task, $"Rate-limited {task.RateLimitDeferrals + 1} times (more than MaxRateLimitDeferrals = {options.MaxRateLimitDeferrals}); counted as a failed attempt. {Describe(refused)}", options, random);
        return verdict with { Refused = true };
    }

    /// <summary>The budget's refusal, also when an SDK wrapped it (it is thrown under the SDK, before the request leaves).</summary>
    private static BudgetExceededException? BudgetRefusal(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is BudgetExceededException budget)
            {
                return budget;
            }
        }

        return null;
    }

    private static bool IsDeterministic(Exception error, TemOptions options)
    {
        foreach (var type in options.NonRetryableExceptionTypes)
        {
            if (type.IsInstanceOfType(error))
            {
                return true;
            }
        }

        return false;
    }

    private static RunVerdict RetryOrFail(ClaimedTask task, string error, TemOptions options, double random)
    {
        if (task.Attempt >= task.MaxAttempts)
        {
            return new(Outcome(task, OutcomeKind.Failed, error: error));
        }

        return new(Outcome(task, OutcomeKind.Retry, error: error, delay: options.Retry.DelayAfter(task.Attempt, random)));
    }

    private static TaskOutcome Outcome(ClaimedTask task, OutcomeKind kind, string? result = null, string? error = null, TimeSpan delay = default)
        => new(task.Id, task.BatchId, task.Version, kind, result, error, delay);

    private static string Describe(Exception ex) => ex switch
    {
        PayloadFormatException or ResultFormatException => ex.Message,
        _ => $"{ex.GetType().FullName}: {ex.Message}",
    };
}
