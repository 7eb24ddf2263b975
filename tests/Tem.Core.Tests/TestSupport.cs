using System.Text.Json.Serialization;
using Xunit;

namespace Tem.Core.Tests;

public sealed record EchoPayload(int N, string Text = "");

public sealed record EchoResult(int N, string Text);

[JsonSerializable(typeof(EchoPayload))]
[JsonSerializable(typeof(EchoResult))]
[JsonSerializable(typeof(UnwritableResult))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>A result System.Text.Json refuses to write (a double that is not finite).</summary>
public sealed record UnwritableResult(double Value);

/// <summary>A temporary folder holding one database file, deleted afterwards.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("tem-test-").FullName;
    }

    public string Folder { get; }

    public string Path => System.IO.Path.Combine(Folder, "tem.db");

    /// <summary>Options tuned so tests run fast: short polls, backoff and leases.</summary>
    public TemOptions Options(Action<TemOptions>? configure = null)
    {
        var options = new TemOptions
        {
            DatabasePath = Path,
            Concurrency = 8,
            PollInterval = TimeSpan.FromMilliseconds(100),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
            LeaseDuration = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    public TemEngine Open(Action<TemOptions>? configure = null, ITemHandlerRegistry? registry = null) => TemEngine.Open(Options(configure), registry);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Types
{
    public static readonly TaskType<EchoPayload, EchoResult> Echo = new("echo", TestJson.Default.EchoPayload, TestJson.Default.EchoResult);

    public static readonly TaskType<EchoPayload> Fire = new("fire", TestJson.Default.EchoPayload);

    /// <summary>A registry with one handler, for the echo task type.</summary>
    public static ITemHandlerRegistry EchoRegistry(Func<EchoPayload, TaskContext, CancellationToken, ValueTask<EchoResult>> handler)
        => TemHandlerRegistry.Create(w => w.Register(Echo, handler));

    public static IEnumerable<EchoPayload> Payloads(int count) => Enumerable.Range(0, count).Select(i => new EchoPayload(i, $"t{i}"));

    public static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"Timed out waiting for: {what}");
    }
}
