using Tem.Execution;
using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>The rule that turns a run's end into an outcome, case by case, without an engine or a store.</summary>
public class OutcomePolicyTests
{
    private static readonly TemOptions Options = new()
    {
        DatabasePath = "unused.db",
        Retry = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), JitterFraction = 0.5 },
        MaxRetryAfter = TimeSpan.FromMinutes(2),
        MaxRateLimitDeferrals = 3,
    };

    private static ClaimedTask Task(int attempt = 1, int maxAttempts = 3, int deferrals = 0)
        => new(Id: 7, BatchId: 2, Type: "t", Payload: "{}", Attempt: attempt, MaxAttempts: maxAttempts, Version: 4, Priority: 0, IdempotencyKey: null, RateLimitDeferrals: deferrals);

    [Fact]
    public void A_result_completes_the_claimed_version()
    {
        var verdict = OutcomePolicy.Completed(Task(), "{\"n\":1}");
        Assert.Equal(new TaskOutcome(7, 2, 4, OutcomeKind.Completed, "{\"n\":1}", null, TimeSpan.Zero), verdict.Outcome);
        Assert.False(verdict.Refused);
    }

    [Theory]
    [InlineData(1, 0.0, 1_000)] // base delay, no jitter
    [InlineData(3, 0.0, 4_000)] // doubled per attempt
    [InlineData(3, 1.0, 2_000)] // jitter takes off up to JitterFraction
    [InlineData(9, 0.0, 30_000)] // capped at MaxDelay
    public void An_error_with_attempts_left_retries_after_the_backoff(int attempt, double random, int delayMs)
    {
        var verdict = OutcomePolicy.Failed(Task(attempt, maxAttempts: 10), new InvalidOperationException("boom"), RunCancellation.None, TimeSpan.FromSeconds(5), Options, random);
        var outcome = verdict.Outcome!.Value;
        Assert.Equal(OutcomeKind.Retry, outcome.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(delayMs), outcome.Delay);
        Assert.Equal("System.InvalidOperationException: boom", outcome.Error);
        Assert.Contains("InvalidOperationException: boom", outcome.Detail);
    }

    [Fact]
    public void A_limit_group_hand_back_releases_the_task_for_its_wait_even_wrapped_and_on_its_last_attempt()
    {
        var handBack = new LimitGroupHandBackException(LimitGroupKey.Named("large"), TimeSpan.FromMilliseconds(1_700));
        foreach (var error in new Exception[] { handBack, new HttpRequestException("transport", handBack) })
        {
            var verdict = OutcomePolicy.Failed(Task(3, 3), error, RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0);
            Assert.Equal(new TaskOutcome(7, 2, 4, OutcomeKind.Released, null, null, TimeSpan.FromMilliseconds(1_700)), verdict.Outcome);
            Assert.False(verdict.Refused); // nothing was sent: no refusal, no pause of every start
        }
    }

    [Fact]
    public void The_last_attempt_fails_and_a_non_retryable_error_fails_at_once()
    {
        Assert.Equal(OutcomeKind.Failed, OutcomePolicy.Failed(Task(3, 3), new InvalidOperationException("x"), RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0).Outcome!.Value.Kind);
        var nonRetryable = OutcomePolicy.Failed(Task(1, 3), new NonRetryableException("bad input"), RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0).Outcome!.Value;
        Assert.Equal(OutcomeKind.Failed, nonRetryable.Kind);
        Assert.Equal("Tem.NonRetryableException: bad input", nonRetryable.Error);
    }

    [Fact]
    public void A_timeout_says_so_and_counts_as_an_attempt()
    {
        var outcome = OutcomePolicy.Failed(Task(2, 3), new OperationCanceledException(), RunCancellation.TimedOut, TimeSpan.FromSeconds(1.5), Options, 0).Outcome!.Value;
        Assert.Equal(OutcomeKind.Retry, outcome.Kind);
        Assert.Equal("Timed out after 1.5 s (attempt 2 of 3).", outcome.Error);
        Assert.Null(outcome.Detail); // a cancellation's stack trace says nothing about the handler
    }

    [Fact]
    public void A_hard_stop_releases_and_a_cancelled_batch_writes_nothing()
    {
        Assert.Equal(OutcomeKind.Released, OutcomePolicy.Failed(Task(3, 3), new OperationCanceledException(), RunCancellation.Stopped, TimeSpan.FromSeconds(5), Options, 0).Outcome!.Value.Kind);
        Assert.Null(OutcomePolicy.Failed(Task(), new OperationCanceledException(), RunCancellation.BatchCancelled, TimeSpan.FromSeconds(5), Options, 0).Outcome);
        // A handler's own cancellation, not the engine's, is an ordinary error.
        Assert.Equal(OutcomeKind.Retry, OutcomePolicy.Failed(Task(), new OperationCanceledException(), RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0).Outcome!.Value.Kind);
    }

    [Fact]
    public void A_refusal_defers_without_an_attempt_capped_at_MaxRetryAfter()
    {
        var verdict = OutcomePolicy.Failed(Task(3, 3), new RetryAfterException(TimeSpan.FromMinutes(10)), RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0);
        Assert.Equal(OutcomeKind.Deferred, verdict.Outcome!.Value.Kind); // even on the last attempt
        Assert.Equal(TimeSpan.FromMinutes(2), verdict.Outcome.Value.Delay);
        Assert.True(verdict.Refused);
    }

    [Fact]
    public void Refusals_past_MaxRateLimitDeferrals_count_as_attempts()
    {
        var verdict = OutcomePolicy.Failed(Task(1, 3, deferrals: 3), new RetryAfterException(TimeSpan.FromSeconds(4)), RunCancellation.None, TimeSpan.FromSeconds(5), Options, 0);
        Assert.Equal(OutcomeKind.Retry, verdict.Outcome!.Value.Kind);
        Assert.StartsWith("Rate-limited 4 times (more than MaxRateLimitDeferrals = 3)", verdict.Outcome.Value.Error);
        Assert.True(verdict.Refused);
    }

    [Fact]
    public void The_detail_is_cut_at_16_KB()
    {
        var detail = OutcomePolicy.DetailOf(new InvalidOperationException(new string('x', 40_000)));
        Assert.Equal(OutcomePolicy.MaxDetailLength, detail.Length + 40 - "\n… (cut at 16 KB)".Length);
        Assert.EndsWith("(cut at 16 KB)", detail);
    }
}
