using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>A database on a small tmpfs that fills up mid-run and is then freed: nothing lost, nothing run twice.</summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task A_full_disk_mid_run_delays_outcomes_until_space_returns()
    {
        using var disk = SmallDisk.TryMount(8);
        Assert.SkipWhen(disk is null, "needs root and tmpfs to mount a small disk (CI runs as root)");
        var path = Path.Combine(disk!.Folder, "tem.db");
        var filler = Path.Combine(disk.Folder, "filler");
        var runs = new ConcurrentDictionary<int, int>();
        var fill = new TaskCompletionSource();
        var logger = new RecordingLogger();
        var text = new string('x', 512);
        var echo = TemHandlerRegistry.Create(w => w.Register(Types.Echo, async (p, _, ct) =>
        {
            runs.AddOrUpdate(p.N, 1, (_, n) => n + 1);
            if (p.N == 100)
            {
                fill.TrySetResult();
            }

            await Task.Delay(1, ct);
            return new EchoResult(p.N, text);
        }));
        await using var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = path,
            Concurrency = 8,
            PollInterval = TimeSpan.FromMilliseconds(100),
            BusyTimeout = TimeSpan.FromSeconds(1),
            Logger = logger,
        }, echo);
        var batch = await tem.Batches.CreateAsync("b", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(1000));
        await tem.Worker.StartAsync();

        await fill.Task.WaitAsync(TimeSpan.FromSeconds(30));
        SmallDisk.Fill(filler);
        await Types.Eventually(() => Task.FromResult(logger.Said("Could not write")), "an outcome write refused for lack of space");
        File.Delete(filler);

        var stats = await tem.WaitForBatchAsync(batch.Id, Types.Timeout(120));
        Assert.Equal(new BatchStats(0, 0, 1000, 0, 0), stats);
        Assert.Equal(1000, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value));
    }
}

/// <summary>A tmpfs of a few megabytes mounted in a temporary folder, unmounted on dispose.</summary>
internal sealed class SmallDisk : IDisposable
{
    private SmallDisk(string folder) => Folder = folder;

    public string Folder { get; }

    public static SmallDisk? TryMount(int megabytes)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return null;
        }

        var folder = Directory.CreateTempSubdirectory("tem-disk-").FullName;
        if (Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", folder) == 0)
        {
            return new SmallDisk(folder);
        }

        Directory.Delete(folder);
        return null;
    }

    /// <summary>Writes <paramref name="path"/> until the disk refuses another byte.</summary>
    public static void Fill(string path)
    {
        var block = new byte[64 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // full
        }

        try
        {
            for (var i = 0; i < 64 * 1024; i++)
            {
                stream.Write(block, 0, 1);
            }
        }
        catch (IOException)
        {
            // and the last bytes too
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Run("umount", "-l", Folder);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit(10_000);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
