using Xunit;

namespace Tem.Reliability.Tests;

/// <summary>
/// A task whose handler brings its process down on every run. Each lost run uses an attempt, so after
/// MaxAttempts runs the task fails and the batch finishes, instead of the task being claimed again forever.
/// </summary>
public class PoisonTaskTests
{
    private const int MaxAttempts = 3;
    private const int Tasks = 12;
    private const int PoisonN = 4;

    [Theory]
    [InlineData("crash")]  // each restart calls Batches.ResumeAsync
    [InlineData("shared")] // no resume: the next process recovers the expired lease
    public async Task A_task_that_kills_its_process_every_run_fails_after_its_attempts_and_the_batch_finishes(string mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX signals");
        using var folder = new TempFolder();
        var db = folder.File("tem.db");
        var log = folder.File("side-effects.log");
        var batchId = await Work.SeedAsync(db, Tasks, maxAttempts: MaxAttempts);
        // Concurrency 1: the poison task is alone when it kills the process, so no other task loses attempts with it.
        string[] args = [db, log, mode, "1", "1", "300", PoisonN.ToString(System.Globalization.CultureInfo.InvariantCulture)];

        var starts = 0;
        string done;
        while (true)
        {
            starts++;
            Assert.True(starts <= MaxAttempts + 1, $"the host was started {starts} times; the poison task should have failed after {MaxAttempts} runs");
            using var host = HostProcess.Start(args);
            var exit = await host.WaitForExitAsync(60);
            if (exit == 0)
            {
                done = host.Stdout;
                break;
            }

            Assert.Equal(137, exit); // killed by its own handler (128 + SIGKILL), not failed otherwise
        }

        Assert.Equal(MaxAttempts + 1, starts);
        Assert.Contains($"DONE pending=0 running=0 completed={Tasks - 1} failed=1", done);

        var poison = Sql.Rows(db, "SELECT id, status, attempt, error FROM task WHERE json_extract(payload, '$.N') = " + PoisonN + ";",
            r => (Id: r.GetInt64(0), Status: r.GetString(1), Attempt: r.GetInt32(2), Error: r.GetString(3))).Single();
        Assert.Equal("failed", poison.Status);
        Assert.Equal(MaxAttempts, poison.Attempt);
        Assert.StartsWith($"Attempt {MaxAttempts} of {MaxAttempts} was lost: the process running it stopped", poison.Error);
        Assert.Contains("retry the batch's failures", poison.Error);

        // It ran exactly MaxAttempts times; every other task ran once.
        var runs = Work.ReadLog(log).GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(MaxAttempts, runs[poison.Id]);
        Assert.Equal(Tasks, runs.Count);
        Assert.All(runs.Where(r => r.Key != poison.Id), r => Assert.Equal(1, r.Value));

        // The batch completed with the failure (its run counters may have been reset by a later ResumeAsync, so they are not checked).
        Assert.Equal("completed", Sql.Scalar(db, $"SELECT status FROM batch WHERE id = {batchId};"));
    }
}
