using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace Tem.Benchmarks;

public sealed record SmallPayload(int N, string Text);

[JsonSerializable(typeof(SmallPayload))]
internal sealed partial class BenchJson : JsonSerializerContext;

internal static class BenchTypes
{
    public static readonly TaskType<SmallPayload> Small = new("bench-small", BenchJson.Default.SmallPayload);

    /// <summary>Payloads generated lazily, so nothing but the engine holds them.</summary>
    public static IEnumerable<SmallPayload> Payloads(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return new SmallPayload(i, "payload-" + i.ToString(CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>Temporary database files, deleted at the end of the run.</summary>
internal sealed class Scratch : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-bench-").FullName;
    private int _next;

    public string NewPath(string name) => Path.Combine(_folder, $"{name}-{Interlocked.Increment(ref _next)}.db");

    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try
            {
                File.Delete(path + suffix);
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double Ms(long fromTimestamp, long toTimestamp) => (toTimestamp - fromTimestamp) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// Peak resident memory of this process during a section. On Linux the kernel's high-water mark
/// (VmHWM) is reset through /proc/self/clear_refs and read back; a sampler thread is the fallback.
/// </summary>
internal sealed class PeakMemory : IDisposable
{
    private readonly bool _kernelReset;
    private readonly Thread _sampler;
    private volatile bool _stop;
    private long _sampledPeak;

    public PeakMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            _kernelReset = ReadHighWaterMark() > 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _kernelReset = false;
        }

        _sampler = new Thread(Sample) { IsBackground = true, Name = "peak-memory" };
        _sampler.Start();
    }

    public string Method => _kernelReset ? "VmHWM" : "sampled";

    /// <summary>Peak working set in bytes since construction.</summary>
    public long Stop()
    {
        _stop = true;
        _sampler.Join();
        var sampled = Math.Max(Interlocked.Read(ref _sampledPeak), Environment.WorkingSet);
        return _kernelReset ? Math.Max(ReadHighWaterMark(), sampled) : sampled;
    }

    public void Dispose() => _stop = true;

    internal static long ReadHighWaterMark(string statusFile = "/proc/self/status")
    {
        try
        {
            foreach (var line in File.ReadLines(statusFile))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }

    private void Sample()
    {
        while (!_stop)
        {
            var now = Environment.WorkingSet;
            if (now > Interlocked.Read(ref _sampledPeak))
            {
                Interlocked.Exchange(ref _sampledPeak, now);
            }

            Thread.Sleep(5);
        }
    }
}
