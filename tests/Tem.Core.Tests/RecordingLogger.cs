using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tem.Core.Tests;

/// <summary>Keeps every log line, so a test can assert what the engine said.</summary>
public sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    /// <summary>The exceptions logged, in order.</summary>
    public ConcurrentQueue<Exception> Exceptions { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Enqueue((logLevel, formatter(state, exception)));
        if (exception is not null)
        {
            Exceptions.Enqueue(exception);
        }
    }

    public bool Said(string text) => Lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal));
}
