using System.Diagnostics;
using Tem.Execution;
using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// Issue 26, "Liveness": a killed worker's process can stay a zombie (killed, not yet reaped) for a while. It runs
/// nothing, so <c>ResumeAsync</c> takes its tasks at once, although its heartbeat has not expired.
/// </summary>
public sealed class ZombieWorkerTests
{
    [Fact]
    public async Task Resume_takes_the_tasks_of_a_worker_whose_process_is_a_zombie()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "zombies are read from /proc");
        using var zombie = Zombie.Start();
        Assert.True(WorkerLiveness.IsZombie(zombie.Pid));
        Assert.False(WorkerLiveness.IsZombie(zombie.ParentPid)); // a sleeping process is not one

        using var db = new TempDatabase();
        await using var tem = db.Open();
        var store = (ITemStore)typeof(TemEngine).GetField("_store", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(tem)!;
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(2));
        // Two workers of this machine, each holding one task under a fresh heartbeat: one a zombie, one alive.
        foreach (var (owner, pid) in new[] { ("zombie", zombie.Pid), ("alive", zombie.ParentPid) })
        {
            await store.HeartbeatAsync(new WorkerIdentity(owner, Environment.MachineName, pid), [], TimeSpan.FromMinutes(5), CancellationToken.None);
            Assert.Single(await store.ClaimAsync(owner, ["echo"], default, 1, TimeSpan.FromMinutes(5), CancellationToken.None));
        }

        Assert.Equal(1, await tem.Batches.ResumeAsync(batch.Id));
        var tasks = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id });
        Assert.Equal(1, tasks.Count(t => t.Status == TemTaskStatus.Running));
    }

    /// <summary>
    /// A real zombie: <c>sleep 0</c> started in the background by a shell that then becomes <c>sleep 120</c>, which
    /// never reaps its child. The parent is killed (and the zombie with it, reaped by init) at dispose.
    /// </summary>
    private sealed class Zombie : IDisposable
    {
        private readonly Process _parent;

        private Zombie(Process parent, int pid)
        {
            _parent = parent;
            Pid = pid;
        }

        public int Pid { get; }

        public int ParentPid => _parent.Id;

        public static Zombie Start()
        {
            var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("sleep 0 & echo $!; exec sleep 120");
            var parent = Process.Start(info)!;
            var zombie = new Zombie(parent, int.Parse(parent.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture));
            var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            while (!WorkerLiveness.IsZombie(zombie.Pid))
            {
                Assert.True(Stopwatch.GetTimestamp() < deadline, "The child of the test's shell did not become a zombie within 30 s.");
                Thread.Sleep(10);
            }

            return zombie;
        }

        public void Dispose()
        {
            _parent.Kill();
            _parent.WaitForExit();
            _parent.Dispose();
        }
    }
}
