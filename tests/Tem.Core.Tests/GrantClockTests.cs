using Tem.Core.Tests.Pacing;
using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>GrantClock: the age of a grant stamped on the database's clock, on this process's clock, never underestimated.</summary>
public class GrantClockTests
{
    [Fact]
    public void The_age_leaves_out_waiting_for_the_lock_but_is_never_less_than_the_real_age()
    {
        // The database's clock runs 5,000 ms ahead of ours. The first grant waited 300 ms for the bucket's lock; the second 2 ms.
        var local = new HeldClock();
        local.Advance(TimeSpan.FromMilliseconds(100));
        var clock = new GrantClock(local);
        clock.Observe(askedAtMs: 100, grantedAtMs: 100 + 5_000 + 300);
        local.Advance(TimeSpan.FromMilliseconds(900));
        // With only that sample the lock wait counts as age: the grant, made at 400 (local), is 600 ms old and counted as 900.
        Assert.Equal(TimeSpan.FromMilliseconds(900), clock.AgeOf(5_400));
        clock.Observe(askedAtMs: 1_000, grantedAtMs: 1_000 + 5_000 + 2);
        local.Advance(TimeSpan.FromMilliseconds(50));
        // Now the bound is 2 ms off: a grant made at 1,002 (local) is 48 ms old and counted as 50.
        Assert.Equal(TimeSpan.FromMilliseconds(50), clock.AgeOf(6_002));
        Assert.True(clock.AgeOf(5_400) >= TimeSpan.FromMilliseconds(1_050 - 400));
    }

    [Fact]
    public void The_bound_is_taken_afresh_after_30_seconds_so_a_step_of_the_database_clock_is_forgotten()
    {
        var local = new HeldClock();
        var clock = new GrantClock(local);
        clock.Observe(0, 5_000);
        local.Advance(TimeSpan.FromMilliseconds(31_000));
        // The database clock stepped back by 4 s: the old bound would make a fresh grant look 4 s younger than it is.
        clock.Observe(31_000, 31_000 + 1_000 + 10);
        local.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(100), clock.AgeOf(32_010));
    }
}
