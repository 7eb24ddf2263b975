using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Tem;

// A child process for the reliability tests. Usage:
//   Tem.TestHost <db> <side-effect-log> <mode> <concurrency> <handler-ms> [lease-ms] [poison-n]
// Modes:
//   crash   resume the batch (a previous run was killed), run it to the end
//   shared  run beside other processes: no resume, leases do the recovery
//   open    only open the engine and report the exception (for hostile files)
//   open-on-go  as open, but only once a line arrives on stdin (many hosts opening one new file at once)
//   rate    as shared, under the start-rate limit in TEM_HOST_RATE ("permits/window-ms/margin-ms"); each
//           side-effect line ends with the handler's start time in Unix microseconds
// The batch is the first batch in the file; the tests enqueue it before starting the host.
// With poison-n, the handler of the task whose payload is that N kills its own process (SIGKILL) right after its
// side-effect line: a task that brings its process down on every run.
// Every handler run appends "taskId attempt pid" to the side-effect log with one O_APPEND write,
// so a kill -9 never leaves half a line and processes never overwrite each other.
// Warnings and errors of the engine go to stdout, prefixed "LOG "; exit code 0 means the batch finished.

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Tem.TestHost <db> <log> <mode> [concurrency] [handler-ms] [lease-ms]");
    return 2;
}

var dbPath = args[0];
var logPath = args[1];
var mode = args[2];
var concurrency = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 8;
var handlerMs = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 5;
var leaseMs = args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 1500;
int? poisonN = args.Length > 6 ? int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture) : null;

var options = new TemOptions
{
    DatabasePath = dbPath,
    Concurrency = concurrency,
    LeaseDuration = TimeSpan.FromMilliseconds(leaseMs),
    PollInterval = TimeSpan.FromMilliseconds(100),
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) },
    Logger = new StdoutLogger(),
};

// TEM_HOST_SHARED_LIMIT="<name>;<permits>/<seconds>;..." shares those start windows under <name> with every engine on
// the database (the shared-limit tests), with TEM_HOST_SHARED_MARGIN_MS as its SharedGrantMargin; TEM_HOST_STARTS=<file> logs "start <unix µs> <pid> <task id>" as each handler
// starts; TEM_HOST_REFUSE="<n>;<ms>" makes the first run of task N refuse with a Retry-After of that long, logged as
// "refused <unix µs> <pid> <task id>".
if (Environment.GetEnvironmentVariable("TEM_HOST_SHARED_LIMIT") is { Length: > 0 } sharedLimit)
{
    var parts = sharedLimit.Split(';');
    options.RateLimit = new RateLimitOptions
    {
        SharedName = parts[0],
        SharedGrantMargin = Environment.GetEnvironmentVariable("TEM_HOST_SHARED_MARGIN_MS") is { Length: > 0 } sharedMarginMs
            ? TimeSpan.FromMilliseconds(int.Parse(sharedMarginMs, System.Globalization.CultureInfo.InvariantCulture))
            : new RateLimitOptions().SharedGrantMargin,
        Windows = [.. parts[1..].Select(w => w.Split('/')).Select(w => new RateLimitWindow(
            int.Parse(w[0], System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(w[1], System.Globalization.CultureInfo.InvariantCulture))))],
    };
}

using var startLog = Environment.GetEnvironmentVariable("TEM_HOST_STARTS") is { Length: > 0 } startsPath ? new AppendLog(startsPath) : null;
var refuse = Environment.GetEnvironmentVariable("TEM_HOST_REFUSE") is { Length: > 0 } refuseSpec
    ? refuseSpec.Split(';').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
    : null;

if (mode == "rate" && Environment.GetEnvironmentVariable("TEM_HOST_RATE")?.Split('/') is [var permits, var windowMs, var marginMs])
{
    options.RateLimit = new RateLimitOptions
    {
        Windows = { new RateLimitWindow(int.Parse(permits), TimeSpan.FromMilliseconds(int.Parse(windowMs))) },
        SafetyMargin = TimeSpan.FromMilliseconds(int.Parse(marginMs)),
    };
}

// "postgres:<schema>:<connection string>" runs on PostgreSQL instead of a SQLite file (tests/Tem.PostgreSql.Tests).
if (dbPath.StartsWith("postgres:", StringComparison.Ordinal))
{
    var parts = dbPath.Split(':', 3);
    options.DatabasePath = "";
    options.UsePostgres(parts[2], parts[1]);
}

// open-on-go: print READY, wait for a line on stdin (the test releases every host at once), then open and write as
// "open" does, under a batch code of its own so that hosts opening one new file do not collide.
if (mode == "open-on-go")
{
    Console.WriteLine("READY");
    Console.ReadLine();
    try
    {
        await using var opened = TemEngine.Open(options);
        await opened.Batches.CreateAsync($"probe-{Environment.ProcessId}", "probe");
        Console.WriteLine("OPENED");
        return 0;
    }
    catch (Exception ex)
    {
        Console.WriteLine($"{ex.GetType().FullName}|{ex.Message}");
        return 3;
    }
}

if (mode == "open")
{
    try
    {
        await using var probe = TemEngine.Open(options);
        await probe.Batches.CreateAsync("probe", "probe");
        Console.WriteLine("OPENED");
        return 0;
    }
    catch (Exception ex)
    {
        Console.WriteLine($"{ex.GetType().FullName}|{ex.Message}");
        return 3;
    }
}

using var sideEffects = new AppendLog(logPath);
var pid = Environment.ProcessId;
// Once across every process: a deferred run keeps its attempt number, so the marker file says whether it refused already.
static bool FirstToClaim(string marker)
{
    try
    {
        using var created = new FileStream(marker, FileMode.CreateNew);
        return true;
    }
    catch (IOException)
    {
        return false;
    }
}

static long UnixMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
var work = new TaskType<HostPayload, HostResult>("work", HostJson.Default.HostPayload, HostJson.Default.HostResult);

await using var tem = TemEngine.Open(options, TemHandlerRegistry.Create(w => w.Register(work, async (payload, context, cancellationToken) =>
{
    startLog?.Append($"start {UnixMicroseconds()} {pid} {context.TaskId}\n");
    var started = mode == "rate" ? $" {(DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10}" : "";
    sideEffects.Append($"{context.TaskId} {context.Attempt} {pid}{started}\n");
    if (refuse is [var refuseN, var refuseMs] && payload.N == refuseN && FirstToClaim(logPath + ".refused"))
    {
        startLog?.Append($"refused {UnixMicroseconds()} {pid} {context.TaskId}\n");
        throw new RetryAfterException(TimeSpan.FromMilliseconds(refuseMs));
    }

    if (payload.N == poisonN)
    {
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
    if (handlerMs > 0)
    {
        await Task.Delay(handlerMs, cancellationToken);
    }

    return new HostResult(payload.N, context.Attempt, pid);
})));

var batch = (await tem.Batches.ListAsync()).FirstOrDefault()
    ?? throw new InvalidOperationException("The database has no batch; the test enqueues one before starting the host.");
if (mode == "crash")
{
    await tem.Batches.ResumeAsync(batch.Id);
}
else if (mode is not ("shared" or "rate"))
{
    Console.Error.WriteLine($"unknown mode '{mode}'");
    return 2;
}

Console.WriteLine($"STARTED {pid} {tem.Worker.Owner}");
await tem.Worker.StartAsync();
var stats = await tem.WaitForBatchAsync(batch.Id);
Console.WriteLine($"DONE pending={stats.Pending} running={stats.Running} completed={stats.Completed} failed={stats.Failed}");
return 0;

public sealed record HostPayload(int N);

public sealed record HostResult(int N, int Attempt, int Pid);

[JsonSerializable(typeof(HostPayload))]
[JsonSerializable(typeof(HostResult))]
internal sealed partial class HostJson : JsonSerializerContext;

/// <summary>An append-only file written with O_APPEND: each line is one write(2), atomic with respect to other writers.</summary>
internal sealed partial class AppendLog : IDisposable
{
    private const int OWronly = 0x1;
    private const int OCreat = 0x40;
    private const int OAppend = 0x400;
    private readonly int _fd;

    public AppendLog(string path)
    {
        _fd = Open(path, OWronly | OCreat | OAppend, Convert.ToInt32("644", 8));
        if (_fd < 0)
        {
            throw new IOException($"Cannot open '{path}' for appending (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public void Append(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var written = Write(_fd, bytes, bytes.Length);
        if (written != bytes.Length)
        {
            throw new IOException($"Short write to the side-effect log ({written} of {bytes.Length} bytes, errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public void Dispose() => Close(_fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>Writes the engine's warnings and errors to stdout so the tests can read them.</summary>
internal sealed class StdoutLogger : ILogger
{
    private static readonly object Gate = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        lock (Gate)
        {
            Console.WriteLine($"LOG {logLevel} {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().FullName + ": " + exception.Message)}");
        }
    }
}
