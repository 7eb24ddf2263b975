using Xunit;

namespace Tem.Provider.Tests.Batches;

/// <summary>
/// The sample killed with SIGKILL at each step of a provider batch (a real child process, a real SQLite file, the
/// simulator on loopback), then run again on the same file: every task completes, none twice, and no task goes into
/// a second provider batch.
/// </summary>
public sealed class ProviderBatchCrashTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-batch-crash-").FullName;
    private ProviderSimulator.ProviderSimulator _simulator = null!;

    public async ValueTask InitializeAsync()
        => _simulator = await ProviderSimulator.ProviderSimulator.StartAsync(new ProviderSimulator.SimulatorOptions());

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("openai", "claimed")]          // submission recorded, nothing uploaded
    [InlineData("openai", "uploaded")]         // file uploaded, its id not recorded
    [InlineData("openai", "upload-recorded")]  // between the upload and the create
    [InlineData("openai", "create-sent")]      // batch created, its id not recorded: found again by metadata
    [InlineData("openai", "polling")]          // while polling
    [InlineData("openai", "downloading")]      // after the first chunk of results was written
    [InlineData("anthropic", "claimed")]
    [InlineData("anthropic", "create-sent")]   // found again by its time and request count
    [InlineData("anthropic", "polling")]
    [InlineData("anthropic", "downloading")]
    public async Task A_run_killed_at_a_step_is_finished_by_the_next_run_exactly_once(string provider, string step)
    {
        var count = step == "downloading" ? 2_500 : 300; // results are written 2,000 at a time
        var database = Path.Combine(_folder, "tem.db");
        using (var killed = BatchApiSampleProcess.Start(_simulator.BaseAddress, provider, "batch", count, database, stopAt: step))
        {
            await killed.KillWhenStoppedAsync(step);
            Assert.DoesNotContain("batch batch-api-sample:", killed.Output, StringComparison.Ordinal);
        }

        using var rerun = BatchApiSampleProcess.Start(_simulator.BaseAddress, provider, "batch", count, database);
        var last = await rerun.LastLineAsync();

        Assert.Equal($"batch batch-api-sample: completed, completed {count}, failed 0, pending 0, provider batches 1", last);
        var counters = _simulator.Batches.Counters;
        Assert.Equal(1, counters.BatchesCreated);
        Assert.Equal(count, counters.DistinctSubmitted);
        Assert.Empty(counters.SubmittedMoreThanOnce());
        Assert.Equal(0, _simulator.Counters.Requests); // nothing ran live
    }
}
