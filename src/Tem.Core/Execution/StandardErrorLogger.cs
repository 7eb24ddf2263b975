using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>
/// What an engine logs to when <see cref="TemOptions.Logger"/> is not set: warnings and errors, one line each, on
/// standard error — so a console app hears that tasks fail, that nothing handles a type, or that the database went
/// away, without being asked. Each event says at most <see cref="BurstPerMinute"/> lines a minute (a batch failing
/// by the thousand must not bury the terminal), then one line saying the rest are held back and how to see them all.
/// </summary>
internal sealed class StandardErrorLogger(TextWriter writer, TimeProvider time) : ILogger
{
    internal const int BurstPerMinute = 10;
    private readonly Dictionary<int, (long WindowStart, int Count)> _said = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var now = time.GetTimestamp();
        int count;
        lock (_said)
        {
            count = _said.TryGetValue(eventId.Id, out var said) && time.GetElapsedTime(said.WindowStart, now) < TimeSpan.FromMinutes(1) ? said.Count + 1 : 1;
            _said[eventId.Id] = (count == 1 ? now : said.WindowStart, count);
        }

        if (count > BurstPerMinute + 1)
        {
            return;
        }

        var level = logLevel switch { LogLevel.Warning => "warn", LogLevel.Error => "fail", _ => "crit" };
        var line = count > BurstPerMinute
            ? $"{level}: Tem[{eventId.Id}] More lines like the last are held back for a minute; set TemOptions.Logger to see them all."
            : $"{level}: Tem[{eventId.Id}] {formatter(state, exception)}{Cause(exception)}";
        writer.WriteLine(line);
    }

    /// <summary>The exception in one line: its type and message, the inner one's too — no stack trace on a terminal.</summary>
    private static string Cause(Exception? exception)
    {
        if (exception is null)
        {
            return "";
        }

        var text = $" {exception.GetType().Name}: {exception.Message}";
        return exception.InnerException is { } inner ? text + $" ({inner.GetType().Name}: {inner.Message})" : text;
    }
}
