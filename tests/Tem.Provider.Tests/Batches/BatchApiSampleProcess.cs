using System.Diagnostics;
using System.Reflection;
using System.Text;
using Xunit;

namespace Tem.Provider.Tests.Batches;

/// <summary>samples/Tem.Samples.BatchApi as a real child process: run to its end, or stopped at a submission step and killed with SIGKILL.</summary>
internal sealed class BatchApiSampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BatchApiSampleProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static BatchApiSampleProcess Start(Uri baseUrl, string provider, string route, int count, string database, string? stopAt = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = [Dll(), "--base-url", baseUrl.ToString(), "--api-key", "sk-test", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--db", database, "--provider", provider, "--route", route];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (stopAt is not null)
        {
            start.Environment["TEM_TEST_STOP_AT"] = stopAt;
        }

        var sample = new BatchApiSampleProcess(new Process { StartInfo = start });
        sample._process.OutputDataReceived += (_, e) => sample.Received(e.Data);
        sample._process.ErrorDataReceived += (_, e) => sample.Received(e.Data);
        sample._process.Start();
        sample._process.BeginOutputReadLine();
        sample._process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Waits until the process says it stopped at <paramref name="step"/>, then kills it with SIGKILL.</summary>
    public async Task KillWhenStoppedAsync(string step)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_stopped.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != _stopped.Task)
        {
            throw new TimeoutException($"The sample never stopped at '{step}' ({(first == exited ? "it exited" : "90 s passed")}). It printed:\n{Output}");
        }

        Assert.Equal("stopped at " + step, await _stopped.Task);
        _process.Kill(); // SIGKILL on Linux: no finally block, no flush, like kill -9
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit by itself and returns its last line.</summary>
    public async Task<string> LastLineAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit(); // drains the redirected streams
        Assert.True(_process.ExitCode == 0, $"The sample exited {_process.ExitCode}:\n{Output}");
        return Output.TrimEnd().Split('\n')[^1].TrimEnd('\r');
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    private void Received(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("stopped at ", StringComparison.Ordinal))
        {
            _stopped.TrySetResult(line);
        }
    }

    private static string Dll()
    {
        var configuration = typeof(BatchApiSampleProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tem.sln")))
            {
                var dll = Path.Combine(directory.FullName, "samples", "Tem.Samples.BatchApi", "bin", configuration, "net10.0", "Tem.Samples.BatchApi.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build tests/Tem.Provider.Tests first.");
            }
        }

        throw new InvalidOperationException("Tem.sln not found above " + AppContext.BaseDirectory);
    }
}
