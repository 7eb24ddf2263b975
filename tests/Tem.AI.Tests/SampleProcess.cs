using System.Diagnostics;
using System.Reflection;

namespace Tem.AI.Tests;

/// <summary>Runs a sample as a real process (<c>dotnet SAMPLE.dll ARGS</c>) and keeps what it printed.</summary>
internal sealed record SampleProcess(int ExitCode, string[] Lines, string Error, TimeSpan Elapsed)
{
    /// <summary>The last non-empty line printed.</summary>
    public string LastLine => Lines.LastOrDefault(l => l.Length > 0) ?? "";

    /// <summary>"openai" and "meai" run the OpenAI sample with that --client; "anthropic" the Anthropic sample.</summary>
    public static async Task<SampleProcess> RunAsync(string client, Uri baseUrl, string apiKey, int count, string database, params string[] more)
    {
        var (project, url, extra) = client == "anthropic"
            ? ("Tem.Samples.Anthropic", baseUrl.ToString(), Array.Empty<string>())
            : ("Tem.Samples.OpenAI", new Uri(baseUrl, "v1").ToString(), ["--client", client]);
        string[] args = ["--base-url", url, "--api-key", apiKey, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", database, .. extra, .. more];
        return await RunAsync(project, args);
    }

    public static async Task<SampleProcess> RunAsync(string project, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll(project));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{project} did not exit within 4 minutes. It printed: {await output}{await error}");
        }

        return new SampleProcess(process.ExitCode, (await output).ReplaceLineEndings("\n").Split('\n'), await error, clock.Elapsed);
    }

    private static string Dll(string project)
    {
        var configuration = typeof(SampleProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var dll = Path.Combine(directory.FullName, "samples", project, "bin", configuration, "net10.0", project + ".dll");
            if (File.Exists(Path.Combine(directory.FullName, "Tem.sln")))
            {
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build tests/Tem.AI.Tests first.");
            }
        }

        throw new InvalidOperationException("Tem.sln not found above " + AppContext.BaseDirectory);
    }
}
