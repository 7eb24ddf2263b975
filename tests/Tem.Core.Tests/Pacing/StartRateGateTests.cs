using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests.Pacing;

/// <summary>StartRateGate on a held clock: exact sliding windows, reservations, refunds, restamps and pauses.</summary>
public class StartRateGateTests
{
    private readonly HeldClock _time = new();

    private StartRateGate Gate(params RateLimitWindow[] windows) => new(windows, TimeSpan.Zero, _time);

    [Fact]
    public void A_window_grants_its_permits_then_waits_until_the_oldest_start_slides_out()
    {
        var gate = Gate(new RateLimitWindow(2, TimeSpan.FromSeconds(1)));
        var tickets = new List<RateTicket>();
        Assert.Equal(2, gate.TryAcquire(5, tickets, out _));
        Assert.Equal(2, tickets.Count);
        // Granted but not started: reservations do not expire, so the gate asks again soon.
        Assert.Equal(0, gate.TryAcquire(1, tickets, out var retryIn));
        Assert.Equal(TimeSpan.FromMilliseconds(6), retryIn);
        tickets.ForEach(gate.Start);
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(0, gate.TryAcquire(1, tickets, out retryIn));
        Assert.Equal(TimeSpan.FromMilliseconds(601), retryIn);
        _time.Advance(TimeSpan.FromMilliseconds(599));
        Assert.Equal(0, gate.TryAcquire(1, tickets, out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, gate.TryAcquire(5, tickets, out _));
    }

    [Fact]
    public void No_span_of_a_window_ever_holds_more_starts_than_its_limit()
    {
        var gate = Gate(new RateLimitWindow(5, TimeSpan.FromSeconds(1)), new RateLimitWindow(12, TimeSpan.FromSeconds(5)));
        var starts = new List<TimeSpan>();
        for (var step = 0; step < 400; step++)
        {
            var tickets = new List<RateTicket>();
            gate.TryAcquire(3, tickets, out _);
            foreach (var ticket in tickets)
            {
                gate.Start(ticket);
                starts.Add(_time.GetUtcNow() - DateTimeOffset.UnixEpoch);
            }

            _time.Advance(TimeSpan.FromMilliseconds(37));
        }

        Assert.True(starts.Count >= 36, $"only {starts.Count} starts in 14.8 s, 12 per 5 s allows 36");
        foreach (var first in starts)
        {
            Assert.True(starts.Count(s => s >= first && s < first + TimeSpan.FromSeconds(1)) <= 5);
            Assert.True(starts.Count(s => s >= first && s < first + TimeSpan.FromSeconds(5)) <= 12);
        }
    }

    [Fact]
    public void Refunded_permits_are_free_again_whether_reserved_or_started()
    {
        var gate = Gate(new RateLimitWindow(2, TimeSpan.FromMinutes(1)));
        var reserved = new List<RateTicket>();
        Assert.Equal(2, gate.TryAcquire(2, reserved, out _));
        gate.Refund(reserved);
        var started = new List<RateTicket>();
        Assert.Equal(2, gate.TryAcquire(2, started, out _));
        started.ForEach(gate.Start);
        Assert.Equal(0, gate.TryAcquire(1, [], out _));
        gate.Refund(started.Take(1));
        Assert.Equal(1, gate.TryAcquire(2, [], out _));
    }

    [Fact]
    public void A_restamped_start_counts_from_when_its_request_left()
    {
        var gate = Gate(new RateLimitWindow(2, TimeSpan.FromSeconds(1)));
        var tickets = new List<RateTicket>();
        gate.TryAcquire(2, tickets, out _);
        tickets.ForEach(gate.Start);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        gate.Restamp(tickets[1]);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, gate.TryAcquire(2, [], out _)); // the first slid out; the restamped one holds until 1.5 s
    }

    [Fact]
    public void A_pause_grants_nothing_for_its_length_and_a_shorter_one_does_not_shorten_it()
    {
        var gate = Gate(new RateLimitWindow(100, TimeSpan.FromSeconds(1)));
        gate.Pause(TimeSpan.FromSeconds(3));
        gate.Pause(TimeSpan.FromSeconds(1));
        Assert.Equal(0, gate.TryAcquire(1, [], out var retryIn));
        Assert.Equal(TimeSpan.FromSeconds(3), retryIn);
        _time.Advance(TimeSpan.FromMilliseconds(2_999));
        Assert.Equal(0, gate.TryAcquire(1, [], out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, gate.TryAcquire(1, [], out _));
    }

    [Fact]
    public void Without_windows_everything_is_granted()
    {
        var gate = Gate();
        var tickets = new List<RateTicket>();
        Assert.True(gate.IsUnlimited);
        Assert.Equal(1_000, gate.TryAcquire(1_000, tickets, out _));
        Assert.All(tickets, t => Assert.True(t.IsNone));
    }
}
