using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// The batch rules on a held clock: tallies, criteria and the runtime limit judged at times a test sets, not at
/// whatever the wall clock says when the test happens to run.
/// </summary>
public class BatchRulesTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 2, 15, 12, 0, 0, TimeSpan.Zero));

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Json(InterruptionCriteria criteria) => criteria.ToJson();

    // The rules ask for counts asynchronously (a store counts in its own transaction); these counts are at hand.
    private static (BatchVerdict Verdict, (InterruptionKind Kind, string Reason)? Reason) Judge(BatchCounters counters, long nowMs, Func<int, long> countTasks)
        => BatchRules.JudgeAsync(counters, nowMs, max => ValueTask.FromResult(countTasks(max))).AsTask().GetAwaiter().GetResult();

    private static (InterruptionKind Kind, string Reason)? ProviderTrouble(string criteriaJson, Func<string, TimeSpan, long> countRefusals)
        => BatchRules.ProviderTroubleAsync(criteriaJson, (kind, window) => ValueTask.FromResult(countRefusals(kind, window))).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void A_tally_counts_in_order_and_a_success_resets_the_run_of_failures()
    {
        var tallies = new Dictionary<long, BatchTally>();
        foreach (var (batch, success) in new[] { (1L, false), (1L, false), (2L, false), (1L, true), (1L, false) })
        {
            BatchTally.Add(tallies, batch, success);
        }

        Assert.Equal((1L, 3L, true, 1L), (tallies[1].Completed, tallies[1].Failed, tallies[1].SawSuccess, tallies[1].FailuresSinceSuccess));
        Assert.Equal((0L, 1L, false, 1L), (tallies[2].Completed, tallies[2].Failed, tallies[2].SawSuccess, tallies[2].FailuresSinceSuccess));
    }

    [Fact]
    public void No_criteria_means_complete_when_done_and_nothing_is_counted()
    {
        var (verdict, reason) = Judge(new BatchCounters(null, 0, 1_000, 1_000, NowMs), NowMs, _ => throw new InvalidOperationException("not asked"));
        Assert.Equal(BatchVerdict.CompleteIfDone, verdict);
        Assert.Null(reason);
    }

    [Fact]
    public void The_runtime_limit_trips_only_once_the_held_clock_passes_it()
    {
        var criteria = Json(new InterruptionCriteria { MaxRuntime = TimeSpan.FromMinutes(10) });
        var started = NowMs;
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(BatchVerdict.CompleteIfDone, Judge(new BatchCounters(criteria, 5, 0, 0, started), NowMs, _ => 0).Verdict);
        Assert.Null(BatchRules.OverdueReason(criteria, started, NowMs));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var (verdict, reason) = Judge(new BatchCounters(criteria, 5, 0, 0, started), NowMs, _ => 0);
        Assert.Equal(BatchVerdict.Interrupt, verdict);
        Assert.Equal(InterruptionKind.Runtime, reason!.Value.Kind);
        Assert.Equal("The batch ran 600 s, longer than MaxRuntime = 600 s.", reason.Value.Reason);
        Assert.Equal(reason, BatchRules.OverdueReason(criteria, started, NowMs));
    }

    [Fact]
    public void A_batch_not_yet_started_has_run_for_no_time()
    {
        var criteria = Json(new InterruptionCriteria { MaxRuntime = TimeSpan.FromSeconds(1) });
        _clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(BatchVerdict.CompleteIfDone, Judge(new BatchCounters(criteria, 0, 0, 0, null), NowMs, _ => 0).Verdict);
    }

    [Fact]
    public void The_error_rate_waits_for_its_sample_or_for_a_smaller_batch_to_end()
    {
        var criteria = Json(new InterruptionCriteria { MaxErrorRate = 0.5, MinTasksForErrorRate = 20 });
        var asked = new List<int>();
        // 9 of 10 failed, but the batch holds 100 tasks: too small a sample yet.
        Assert.Equal(BatchVerdict.CompleteIfDone, Judge(new BatchCounters(criteria, 1, 9, 1, NowMs), NowMs, max => { asked.Add(max); return Math.Min(100, max); }).Verdict);
        Assert.Equal([20], asked);
        // The same counts in a batch of 10 tasks: every task has ended, the rate is judged.
        var (verdict, reason) = Judge(new BatchCounters(criteria, 1, 9, 1, NowMs), NowMs, _ => 10);
        Assert.Equal(BatchVerdict.Interrupt, verdict);
        Assert.Equal(InterruptionKind.ErrorRate, reason!.Value.Kind);
        Assert.Equal("Error rate 90.0% (9 of 10 ended tasks failed) exceeds MaxErrorRate = 50.0%.", reason.Value.Reason);
        // Past the sample the store is not asked to count.
        Assert.Equal(BatchVerdict.Interrupt, Judge(new BatchCounters(criteria, 5, 15, 1, NowMs), NowMs, _ => throw new InvalidOperationException("not asked")).Verdict);
    }

    [Fact]
    public void Failed_and_consecutive_limits_trip_at_their_value_failed_first()
    {
        var criteria = Json(new InterruptionCriteria { MaxFailedTasks = 5, MaxConsecutiveFailures = 3 });
        Assert.Equal(BatchVerdict.CompleteIfDone, Judge(new BatchCounters(criteria, 10, 4, 2, NowMs), NowMs, _ => 0).Verdict);
        Assert.Equal(InterruptionKind.ConsecutiveFailures, Judge(new BatchCounters(criteria, 10, 4, 3, NowMs), NowMs, _ => 0).Reason!.Value.Kind);
        Assert.Equal(InterruptionKind.FailedTasks, Judge(new BatchCounters(criteria, 10, 5, 3, NowMs), NowMs, _ => 0).Reason!.Value.Kind);
    }

    [Fact]
    public void Provider_trouble_counts_only_the_kinds_whose_limit_is_set_within_the_window()
    {
        Assert.Null(ProviderTrouble(Json(new InterruptionCriteria { MaxFailedTasks = 1 }), (_, _) => throw new InvalidOperationException("not asked")));
        var asked = new List<(string Kind, TimeSpan Window)>();
        var criteria = Json(new InterruptionCriteria { MaxRateLimitHits = 3, ProviderTroubleWindow = TimeSpan.FromSeconds(30) });
        Assert.Null(ProviderTrouble(criteria, (kind, window) => { asked.Add((kind, window)); return 2; }));
        Assert.Equal([(Storage.AttemptNames.Deferred, TimeSpan.FromSeconds(30))], asked);
        Assert.Equal(InterruptionKind.RateLimitHits, ProviderTrouble(criteria, (_, _) => 3)!.Value.Kind);
    }
}
