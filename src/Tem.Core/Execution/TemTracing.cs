using System.Diagnostics;

namespace Tem.Execution;

/// <summary>
/// Tem's spans, after OpenTelemetry's messaging conventions: an enqueue is a <c>create</c> span (kind Producer) whose
/// context is stored with each task it adds; a task's run is a <c>process</c> span (kind Consumer) that links to it, so
/// a trace viewer connects the request that enqueued a task to each attempt that ran it, hours later and on another
/// machine. The run span is <see cref="Activity.Current"/> while the handler runs: spans an LLM client starts (Tem.AI's
/// GenAI spans, an HTTP client's) are its children.
/// </summary>
internal static class TemTracing
{
    public const string System = "tem";

    /// <summary>Starts the create span of one enqueue call, or returns null when nobody listens.</summary>
    public static Activity? StartCreate(long batchId, string taskType, long? messageCount)
    {
        var activity = TemTelemetry.Source.StartActivity("create " + taskType, ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", System);
            activity.SetTag("messaging.operation.type", "create");
            activity.SetTag("messaging.operation.name", "enqueue");
            activity.SetTag("messaging.destination.name", taskType);
            activity.SetTag("tem.batch.id", batchId);
            if (messageCount is { } count)
            {
                activity.SetTag("messaging.batch.message_count", count);
            }
        }

        return activity;
    }

    /// <summary>The W3C traceparent to store with a task enqueued now: the current span's (the create span, or the caller's), or null.</summary>
    public static string? CurrentTraceParent()
        => Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : null;

    /// <summary>Starts the process span of one run, linked to the span that enqueued the task when it was recorded.</summary>
    public static Activity? StartProcess(Storage.ClaimedTask task)
    {
        ActivityLink[]? links = null;
        if (task.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, isRemote: true, out var enqueued))
        {
            links = [new ActivityLink(enqueued)];
        }

        // No parent: the run is its own trace (an enqueue of a million tasks is not one trace of a million runs); the link connects them.
        var activity = TemTelemetry.Source.StartActivity(ActivityKind.Consumer, parentContext: default, tags: null, links: links, name: "process " + task.Type);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", System);
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", task.Type);
            activity.SetTag("messaging.message.id", task.Id.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        }

        return activity;
    }
}
