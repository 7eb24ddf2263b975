using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>TokenBudget on a held clock: a reservation waits until every window has room for all of it, in order.</summary>
public class TokenBudgetTests
{
    private readonly HeldClock _time = new();

    private TokenBudget PerMinute(int tokens) => new([new RateLimitWindow(tokens, TimeSpan.FromMinutes(1))], TimeSpan.Zero, _time);

    [Fact]
    public async Task A_reservation_that_does_not_fit_waits_until_enough_slides_out_of_the_window()
    {
        var budget = PerMinute(100);
        await budget.ReserveAsync(60, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        var second = budget.ReserveAsync(60, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(HeldClock.Deadline);
    }

    [Fact]
    public async Task Waiters_are_served_in_order_so_a_large_one_is_not_starved_by_small_ones()
    {
        var budget = PerMinute(100);
        await budget.ReserveAsync(60, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        var large = budget.ReserveAsync(50, CancellationToken.None).AsTask();
        var small = budget.ReserveAsync(10, CancellationToken.None).AsTask(); // would fit now, but waits its turn
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(small.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(31));
        await Task.WhenAll(large, small).WaitAsync(HeldClock.Deadline);
    }

    [Fact]
    public async Task A_restamped_reservation_counts_from_when_its_request_left()
    {
        var budget = PerMinute(100);
        var ticket = await budget.ReserveAsync(60, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        _time.Advance(TimeSpan.FromSeconds(30));
        budget.Restamp(ticket);
        var next = budget.ReserveAsync(60, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(31)); // a minute after the reservation, but only 31 s after its request left
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(30));
        await next.WaitAsync(HeldClock.Deadline);
    }

    [Fact]
    public async Task A_reservation_larger_than_a_window_is_refused_with_what_to_do()
    {
        var budget = PerMinute(100);
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => budget.ReserveAsync(101, CancellationToken.None).AsTask());
        Assert.Contains("101 tokens can never fit a window of 100; split the request or raise the token limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_windows_nothing_waits()
    {
        var budget = new TokenBudget([], TimeSpan.Zero, _time);
        Assert.True(budget.IsUnlimited);
        var ticket = await budget.ReserveAsync(1_000_000, CancellationToken.None).AsTask().WaitAsync(HeldClock.Deadline);
        Assert.True(ticket.IsNone);
    }
}
