using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>An engine opened on a clock the test holds: the SQLite store's times come from it, not from the wall.</summary>
public class HeldClockTests
{
    [Fact]
    public async Task A_sqlite_engine_stamps_rows_with_the_clock_it_was_opened_on()
    {
        using var db = new TempDatabase();
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 4, 3, 2, 1, TimeSpan.Zero));
        await using var tem = await TemEngine.OpenOnClockAsync(db.Options(), null, clock, CancellationToken.None);

        Assert.Equal(db.Path, tem.StoreDescription);
        Assert.Equal(tem.StoreDescription, tem.DatabasePath);
        var batch = await tem.Batches.CreateAsync("b", "t");
        Assert.Equal(clock.GetUtcNow(), batch.CreatedAt);

        clock.Advance(TimeSpan.FromHours(5));
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1), new EnqueueOptions { Delay = TimeSpan.FromMinutes(30) });
        var task = await tem.Tasks.GetAsync(id);
        Assert.Equal(clock.GetUtcNow(), task.CreatedAt);
        Assert.Equal(clock.GetUtcNow().AddMinutes(30), task.RunAfter);
    }
}
