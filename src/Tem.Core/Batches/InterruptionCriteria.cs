using System.Globalization;
using System.Text.Json;

namespace Tem;

/// <summary>
/// When to stop a batch automatically. Counts are of task outcomes since the batch last started
/// (creation, <c>ResumeAsync</c> or <c>RetryFailedAsync</c>); a failure is a task that ended failed.
/// When one criterion trips the batch becomes <see cref="BatchStatus.Interrupted"/>, its pending tasks
/// are no longer claimed, and a <see cref="BatchInterruption"/> keeps the reason and the stats.
/// </summary>
public sealed record InterruptionCriteria
{
    /// <summary>Interrupt when failed / (completed + failed) exceeds this share (0 to 1), once <see cref="MinTasksForErrorRate"/> have ended.</summary>
    public double? MaxErrorRate { get; init; }

    /// <summary>How many tasks must have ended before <see cref="MaxErrorRate"/> is judged. Default 20.</summary>
    public int MinTasksForErrorRate { get; init; } = 20;

    /// <summary>Interrupt when more than this many tasks have failed.</summary>
    public int? MaxFailedTasks { get; init; }

    /// <summary>Interrupt when more than this many tasks in a row have failed.</summary>
    public int? MaxConsecutiveFailures { get; init; }

    /// <summary>Interrupt when the batch has run longer than this since its first task started.</summary>
    public TimeSpan? MaxRuntime { get; init; }

    internal void Validate()
    {
        if (MaxErrorRate is { } r && (double.IsNaN(r) || r < 0 || r > 1))
        {
            throw new TemConfigurationException($"InterruptionCriteria.MaxErrorRate is {r}; it must be between 0 and 1 (0.2 means 20%).");
        }

        if (MinTasksForErrorRate < 1)
        {
            throw new TemConfigurationException($"InterruptionCriteria.MinTasksForErrorRate is {MinTasksForErrorRate}; it must be at least 1.");
        }

        if (MaxFailedTasks is < 0 || MaxConsecutiveFailures is < 0)
        {
            throw new TemConfigurationException("InterruptionCriteria.MaxFailedTasks and MaxConsecutiveFailures must be 0 or more.");
        }

        if (MaxRuntime is { } t && t <= TimeSpan.Zero)
        {
            throw new TemConfigurationException($"InterruptionCriteria.MaxRuntime is {t}; it must be positive.");
        }
    }

    /// <summary>Returns the reason the criteria trip for these counters, or null.</summary>
    internal string? Check(long completed, long failed, long consecutiveFailures, TimeSpan? runtime)
    {
        if (MaxFailedTasks is { } maxFailed && failed > maxFailed)
        {
            return $"{failed} tasks failed, more than MaxFailedTasks = {maxFailed}.";
        }

        if (MaxConsecutiveFailures is { } maxRow && consecutiveFailures > maxRow)
        {
            return $"{consecutiveFailures} tasks failed in a row, more than MaxConsecutiveFailures = {maxRow}.";
        }

        var ended = completed + failed;
        if (MaxErrorRate is { } maxRate && ended >= MinTasksForErrorRate && (double)failed / ended > maxRate)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Error rate {100.0 * failed / ended:0.0}% ({failed} of {ended} ended tasks failed) exceeds MaxErrorRate = {100 * maxRate:0.0}%.");
        }

        if (MaxRuntime is { } maxRuntime && runtime > maxRuntime)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The batch ran {runtime.Value.TotalSeconds:0.#} s, longer than MaxRuntime = {maxRuntime.TotalSeconds:0.###} s.");
        }

        return null;
    }

    // Stored as JSON written by hand, so no reflection-based serializer is needed (AOT).
    internal string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (MaxErrorRate is { } r) writer.WriteNumber("maxErrorRate", r);
            writer.WriteNumber("minTasksForErrorRate", MinTasksForErrorRate);
            if (MaxFailedTasks is { } f) writer.WriteNumber("maxFailedTasks", f);
            if (MaxConsecutiveFailures is { } c) writer.WriteNumber("maxConsecutiveFailures", c);
            if (MaxRuntime is { } t) writer.WriteNumber("maxRuntimeMs", (long)t.TotalMilliseconds);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static InterruptionCriteria FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new InterruptionCriteria
        {
            MaxErrorRate = root.TryGetProperty("maxErrorRate", out var r) ? r.GetDouble() : null,
            MinTasksForErrorRate = root.TryGetProperty("minTasksForErrorRate", out var m) ? m.GetInt32() : 20,
            MaxFailedTasks = root.TryGetProperty("maxFailedTasks", out var f) ? f.GetInt32() : null,
            MaxConsecutiveFailures = root.TryGetProperty("maxConsecutiveFailures", out var c) ? c.GetInt32() : null,
            MaxRuntime = root.TryGetProperty("maxRuntimeMs", out var t) ? TimeSpan.FromMilliseconds(t.GetInt64()) : null,
        };
    }
}
