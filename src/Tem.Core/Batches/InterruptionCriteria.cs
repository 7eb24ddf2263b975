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
    /// <summary>
    /// Interrupt when failed / (completed + failed) is above this share (0 to 1): 0.2 tolerates one failure in five.
    /// Judged once <see cref="MinTasksForErrorRate"/> tasks have ended, or once every task of a smaller batch has.
    /// </summary>
    public double? MaxErrorRate { get; init; }

    /// <summary>
    /// How many tasks must have ended before <see cref="MaxErrorRate"/> is judged, so that two early failures do not stop
    /// a large batch. Default 20. A batch with fewer tasks is judged when all of them have ended: a 10-task batch whose
    /// 10 tasks all failed is interrupted, not completed.
    /// </summary>
    public int MinTasksForErrorRate { get; init; } = 20;

    /// <summary>Interrupt when this many tasks have failed: 3 interrupts at the third failure (0 or 1: at the first).</summary>
    public int? MaxFailedTasks { get; init; }

    /// <summary>Interrupt when this many tasks in a row have failed: 3 interrupts at the third failure in a row (0 or 1: at the first).</summary>
    public int? MaxConsecutiveFailures { get; init; }

    /// <summary>Interrupt when the provider refused this many of the batch's runs with a rate limit (429) within <see cref="ProviderTroubleWindow"/>.</summary>
    public int? MaxRateLimitHits { get; init; }

    /// <summary>Interrupt when the provider reported overload (503/529) or refused concurrent requests this many times within <see cref="ProviderTroubleWindow"/>.</summary>
    public int? MaxOverloadErrors { get; init; }

    /// <summary>The period <see cref="MaxRateLimitHits"/> and <see cref="MaxOverloadErrors"/> count over. Default 1 minute.</summary>
    public TimeSpan ProviderTroubleWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Interrupt when the batch has run longer than this since its first task started (checked every second).</summary>
    public TimeSpan? MaxRuntime { get; init; }

    /// <summary>
    /// The provider-trouble verdict: <paramref name="rateLimitHits"/> and <paramref name="overloads"/> are the batch's refusals
    /// of each kind within <see cref="ProviderTroubleWindow"/>. Returns the reason, or null.
    /// </summary>
    internal (InterruptionKind Kind, string Reason)? CheckProviderTrouble(long rateLimitHits, long overloads)
    {
        var window = ProviderTroubleWindow.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        if (MaxRateLimitHits is { } maxHits && rateLimitHits >= maxHits)
        {
            return (InterruptionKind.RateLimitHits, $"The provider refused {rateLimitHits} runs with a rate limit within {window} s, reaching MaxRateLimitHits = {maxHits}.");
        }

        if (MaxOverloadErrors is { } maxOverloads && overloads >= maxOverloads)
        {
            return (InterruptionKind.Overload, $"The provider reported overload or too many concurrent requests {overloads} times within {window} s, reaching MaxOverloadErrors = {maxOverloads}.");
        }

        return null;
    }

    /// <summary>The stricter of two sets of criteria, criterion by criterion; either may be null.</summary>
    internal static InterruptionCriteria? Stricter(InterruptionCriteria? a, InterruptionCriteria? b) => (a, b) switch
    {
        (null, _) => b,
        (_, null) => a,
        _ => new InterruptionCriteria
        {
            MaxErrorRate = Min(a.MaxErrorRate, b.MaxErrorRate),
            MinTasksForErrorRate = Math.Min(a.MinTasksForErrorRate, b.MinTasksForErrorRate),
            MaxFailedTasks = Min(a.MaxFailedTasks, b.MaxFailedTasks),
            MaxConsecutiveFailures = Min(a.MaxConsecutiveFailures, b.MaxConsecutiveFailures),
            MaxRuntime = Min(a.MaxRuntime, b.MaxRuntime),
            MaxRateLimitHits = Min(a.MaxRateLimitHits, b.MaxRateLimitHits),
            MaxOverloadErrors = Min(a.MaxOverloadErrors, b.MaxOverloadErrors),
            ProviderTroubleWindow = a.ProviderTroubleWindow > b.ProviderTroubleWindow ? a.ProviderTroubleWindow : b.ProviderTroubleWindow,
        },
    };

    private static T? Min<T>(T? x, T? y) where T : struct, IComparable<T>
        => x is { } l && y is { } r ? (l.CompareTo(r) <= 0 ? l : r) : x ?? y;

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

        if (MaxRateLimitHits is < 1 || MaxOverloadErrors is < 1)
        {
            throw new TemConfigurationException("InterruptionCriteria.MaxRateLimitHits and MaxOverloadErrors must be at least 1 (or null for no limit).");
        }

        if (ProviderTroubleWindow <= TimeSpan.Zero || ProviderTroubleWindow > TimeSpan.FromDays(1))
        {
            throw new TemConfigurationException($"InterruptionCriteria.ProviderTroubleWindow is {ProviderTroubleWindow}; it must be positive and at most one day.");
        }

        if (MaxRuntime is { } t && t <= TimeSpan.Zero)
        {
            throw new TemConfigurationException($"InterruptionCriteria.MaxRuntime is {t}; it must be positive.");
        }
    }

    /// <summary>Returns the reason the criteria trip for these counters, or null.</summary>
    /// <param name="completed">Tasks completed since the batch last started.</param>
    /// <param name="failed">Tasks failed since then.</param>
    /// <param name="consecutiveFailures">Failures since the last success.</param>
    /// <param name="runtime">How long the batch has run.</param>
    /// <param name="batchTasks">How many tasks the batch holds, when the caller knows it is below <see cref="MinTasksForErrorRate"/>.</param>
    internal (InterruptionKind Kind, string Reason)? Check(long completed, long failed, long consecutiveFailures, TimeSpan? runtime, long? batchTasks = null)
    {
        if (MaxFailedTasks is { } maxFailed && failed > 0 && failed >= maxFailed)
        {
            return (InterruptionKind.FailedTasks, $"{failed} tasks failed, reaching MaxFailedTasks = {maxFailed}.");
        }

        if (MaxConsecutiveFailures is { } maxRow && consecutiveFailures > 0 && consecutiveFailures >= maxRow)
        {
            return (InterruptionKind.ConsecutiveFailures, $"{consecutiveFailures} tasks failed in a row, reaching MaxConsecutiveFailures = {maxRow}.");
        }

        var ended = completed + failed;
        var sample = batchTasks is { } total && total < MinTasksForErrorRate ? total : MinTasksForErrorRate;
        if (MaxErrorRate is { } maxRate && ended > 0 && ended >= sample && (double)failed / ended > maxRate)
        {
            return (InterruptionKind.ErrorRate, string.Create(CultureInfo.InvariantCulture, $"Error rate {100.0 * failed / ended:0.0}% ({failed} of {ended} ended tasks failed) exceeds MaxErrorRate = {100 * maxRate:0.0}%."));
        }

        if (MaxRuntime is { } maxRuntime && runtime > maxRuntime)
        {
            return (InterruptionKind.Runtime, string.Create(CultureInfo.InvariantCulture, $"The batch ran {runtime.Value.TotalSeconds:0.#} s, longer than MaxRuntime = {maxRuntime.TotalSeconds:0.###} s."));
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
            if (MaxRateLimitHits is { } h) writer.WriteNumber("maxRateLimitHits", h);
            if (MaxOverloadErrors is { } o) writer.WriteNumber("maxOverloadErrors", o);
            writer.WriteNumber("providerTroubleWindowMs", (long)ProviderTroubleWindow.TotalMilliseconds);
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
            MaxRateLimitHits = root.TryGetProperty("maxRateLimitHits", out var h) ? h.GetInt32() : null,
            MaxOverloadErrors = root.TryGetProperty("maxOverloadErrors", out var o) ? o.GetInt32() : null,
            ProviderTroubleWindow = root.TryGetProperty("providerTroubleWindowMs", out var w) ? TimeSpan.FromMilliseconds(w.GetInt64()) : TimeSpan.FromMinutes(1),
        };
    }
}
