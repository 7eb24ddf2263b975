using System.Diagnostics;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Xunit;

// Child processes compete for two cores; running these tests one at a time keeps their timing honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Tem.Reliability.Tests;

/// <summary>The payload and result of the test host's "work" task type (same JSON shape as in Tem.TestHost).</summary>
public sealed record WorkPayload(int N);

public sealed record WorkResult(int N, int Attempt, int Pid);

public sealed record BigPayload(string Text);

public sealed record BigResult(int Length, string Text);

[JsonSerializable(typeof(WorkPayload))]
[JsonSerializable(typeof(WorkResult))]
[JsonSerializable(typeof(BigPayload))]
[JsonSerializable(typeof(BigResult))]
internal sealed partial class ReliabilityJson : JsonSerializerContext;

internal static class Work
{
    public static readonly TaskType<WorkPayload, WorkResult> Type = new("work", ReliabilityJson.Default.WorkPayload, ReliabilityJson.Default.WorkResult);

    /// <summary>Creates the file with one batch of <paramref name="count"/> "work" tasks and closes it.</summary>
    public static async Task<long> SeedAsync(string path, int count, int maxAttempts = 100)
    {
        await using var tem = TemEngine.Open(new TemOptions { DatabasePath = path });
        var batch = await tem.Batches.CreateAsync("reliability", "work");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Type, Enumerable.Range(0, count).Select(i => new WorkPayload(i)), _ => new EnqueueOptions { MaxAttempts = maxAttempts });
        return batch.Id;
    }

    /// <summary>The side-effect log as (task id, attempt, pid) triples; every line must be whole.</summary>
    public static List<(long Id, int Attempt, int Pid)> ReadLog(string path)
    {
        var entries = new List<(long, int, int)>();
        if (!File.Exists(path))
        {
            return entries;
        }

        var text = File.ReadAllText(path);
        Assert.True(text.Length == 0 || text.EndsWith('\n'), "the side-effect log ends with a partial line");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            Assert.True(parts.Length == 3, $"malformed side-effect line '{line}'");
            entries.Add((long.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2])));
        }

        return entries;
    }

    public static int CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var count = 0;
        int b;
        var buffer = new byte[65536];
        while ((b = stream.Read(buffer)) > 0)
        {
            count += buffer.AsSpan(0, b).Count((byte)'\n');
        }

        return count;
    }
}

/// <summary>Plain SQL against the file, outside the engine: what an operator with the sqlite3 shell would see.</summary>
internal static class Sql
{
    public static SqliteConnection Connect(string path, int busyTimeoutSeconds = 30)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = busyTimeoutSeconds }.ToString());
        connection.Open();
        return connection;
    }

    public static object? Scalar(string path, string sql)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static List<T> Rows<T>(string path, string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public static HashSet<long> RunningIds(string path) => Rows(path, "SELECT id FROM task WHERE status = 'running';", r => r.GetInt64(0)).ToHashSet();

    public static string IntegrityCheck(string path) => (string)Scalar(path, "PRAGMA integrity_check;")!;
}

/// <summary>A Tem.TestHost child process with its output captured.</summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet Tem.TestHost.dll args</c>, optionally as another user (through setpriv) and with more environment variables.</summary>
    public static HostProcess Start(IEnumerable<string> args, string? runAsUser = null, string? hostDll = null, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // a host in mode "open-on-go" waits for a line here (see SendLine)
            UseShellExecute = false,
        };
        if (runAsUser is not null)
        {
            info.FileName = "setpriv";
            foreach (var a in new[] { $"--reuid={runAsUser}", $"--regid={runAsUser}", "--clear-groups", DotnetMuxer })
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
            info.Environment["HOME"] = Path.GetTempPath();
        }
        else
        {
            info.FileName = DotnetMuxer;
        }

        info.ArgumentList.Add(hostDll ?? HostDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (host._stdout)
            {
                host._stdout.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("STARTED ", StringComparison.Ordinal))
            {
                host._started.TrySetResult();
            }

            if (e.Data == "READY")
            {
                host._ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (host._stderr)
                {
                    host._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the host printed STARTED (engine open, worker about to start).</summary>
    public async Task WaitStartedAsync(int seconds = 60)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_started.Task, exited, Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (first != _started.Task)
        {
            Assert.Fail($"The host did not start within {seconds} s (exited: {_process.HasExited}).\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>Waits until a host in mode "open-on-go" printed READY (it now waits on stdin).</summary>
    public async Task WaitReadyAsync(int seconds = 60)
    {
        var first = await Task.WhenAny(_ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (first != _ready.Task)
        {
            Assert.Fail($"The host was not ready within {seconds} s (exited: {_process.HasExited}).\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Writes one line to the host's stdin: the start signal of mode "open-on-go".</summary>
    public void SendLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the exit and returns its code; fails the test on timeout.</summary>
    public async Task<int> WaitForExitAsync(int seconds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"The host {_process.Id} did not exit within {seconds} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no finally blocks, no flush, no graceful stop.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }

        _process.WaitForExit();
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal("CONT");
            Kill();
        }

        _process.Dispose();
    }

    /// <summary>The built host, in the sibling output folder (same configuration and framework) of this test assembly.</summary>
    public static string HostDll
    {
        get
        {
            var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            var marker = $"{Path.DirectorySeparatorChar}Tem.Reliability.Tests{Path.DirectorySeparatorChar}";
            var index = testDir.LastIndexOf(marker, StringComparison.Ordinal);
            Assert.True(index >= 0, $"Cannot place the test host relative to '{testDir}'.");
            var dll = Path.Combine(testDir[..index] + $"{Path.DirectorySeparatorChar}Tem.TestHost{Path.DirectorySeparatorChar}" + testDir[(index + marker.Length)..], "Tem.TestHost.dll");
            Assert.True(File.Exists(dll), $"The test host is not built at '{dll}'. Build tests/Tem.Reliability.Tests (it references the host) first.");
            return dll;
        }
    }

    /// <summary>The dotnet executable that runs this test process.</summary>
    public static string DotnetMuxer
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
            if (string.IsNullOrEmpty(root))
            {
                // .../shared/Microsoft.NETCore.App/<version>/ -> ...
                root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
            }

            var muxer = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            return File.Exists(muxer) ? muxer : "dotnet";
        }
    }
}

internal static class Poll
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test at the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 60, int intervalMs = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(intervalMs);
        }

        Assert.Fail($"Timed out after {seconds} s waiting for: {what}");
    }
}

/// <summary>A temporary folder for one test's files.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("tem-rel-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
