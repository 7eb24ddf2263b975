using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tem.Execution;

/// <summary>
/// The engine's metrics (Meter "Tem") and traces (ActivitySource "Tem"), which OpenTelemetry and any
/// MeterListener / ActivityListener observe. Instruments are created once per process; each worker adds
/// its observable gauges.
/// </summary>
internal static class TemTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "Tem";

    public static readonly ActivitySource Source = new(Name, TemVersion.Value);

    public static readonly Meter Meter = new(Name, TemVersion.Value);

    public static readonly Counter<long> Started = Meter.CreateCounter<long>("tem.tasks.started", "{task}", "Task runs started.");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>("tem.tasks.completed", "{task}", "Task runs that completed.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("tem.tasks.failed", "{task}", "Task runs that failed for good.");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("tem.tasks.retried", "{task}", "Task runs that failed and will run again.");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("tem.tasks.rate_limited", "{task}", "Task runs the provider refused (RetryAfterException).");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("tem.task.duration", "s", "How long a handler ran.");

    public static readonly Histogram<double> SlotWait = Meter.CreateHistogram<double>("tem.dispatch.slot_wait", "s", "How long the dispatcher waited for a free concurrency slot while work was pending.");

    public static readonly Histogram<double> PermitWait = Meter.CreateHistogram<double>("tem.dispatch.permit_wait", "s", "How long the dispatcher waited for a rate-limit permit with a free slot.");

    public static string OutcomeName(Storage.OutcomeKind kind) => kind switch
    {
        Storage.OutcomeKind.Completed => "completed",
        Storage.OutcomeKind.Retry => "retry",
        Storage.OutcomeKind.Failed => "failed",
        Storage.OutcomeKind.Deferred => "rate_limited",
        _ => "released",
    };

    /// <summary>Counts one run's outcome.</summary>
    public static void Record(string taskType, Storage.OutcomeKind kind, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("tem.task.type", taskType);
        Duration.Record(duration.TotalSeconds, tag, new KeyValuePair<string, object?>("tem.task.outcome", OutcomeName(kind)));
        switch (kind)
        {
            case Storage.OutcomeKind.Completed: Completed.Add(1, tag); break;
            case Storage.OutcomeKind.Failed: Failed.Add(1, tag); break;
            case Storage.OutcomeKind.Retry: Retried.Add(1, tag); break;
            case Storage.OutcomeKind.Deferred: RateLimited.Add(1, tag); break;
        }
    }
}
