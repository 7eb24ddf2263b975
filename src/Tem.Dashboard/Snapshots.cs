using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tem.Dashboard;

// What the page receives over server-sent events and from /api: plain records, times as Unix milliseconds.

internal sealed record Counts(long Pending, long Running, long Completed, long Failed, long Cancelled, long Total)
{
    public static Counts From(BatchStats s) => new(s.Pending, s.Running, s.Completed, s.Failed, s.Cancelled, s.Total);
}

internal sealed record BatchRow(long Id, string Code, string Type, string Status, Counts Counts, long CreatedAt, long? CompletedAt, long Refusals);

/// <summary>Rates per second over consecutive sample intervals ending at <see cref="At"/>; Refusals is null when the data does not exist.</summary>
internal sealed record RateSeries(long[] At, double[] Completed, double[] Failed, double[] Refusals);

internal sealed record WindowRow(long Permits, double Seconds);

internal sealed record PacingRow(int? Concurrency, bool? Adaptive, WindowRow[] Requests, WindowRow[] Tokens);

internal sealed record WorkerRow(bool Running, int InFlight, int EffectiveConcurrency, string Owner, string[] TaskTypes);

/// <summary>A worker row of the store (any process, any machine); HeartbeatAgeMs by the store's clock.</summary>
internal sealed record WorkerPanelRow(string Owner, string Machine, int Pid, long HeartbeatAgeMs, long StartedAt, long InFlight, bool Live, bool Paused,
    string[] TaskTypes, string? Scope);

/// <summary>Pending tasks of active batches whose type no live worker handles.</summary>
internal sealed record UnhandledRow(string Type, long Pending, long[] BatchIds);

/// <summary>A limit shared under a name in the store: its pause and the last minute's starts. Per-limit-group state joins it here.</summary>
internal sealed record SharedLimitRow(string Name, long? PausedUntil, long StartsLastMinute);

internal sealed record OverviewSnapshot(long Now, BatchRow[] Batches, RateSeries Throughput, PacingRow? Pacing, WorkerRow? Worker, string? Problem,
    WorkerPanelRow[] Workers, UnhandledRow[] Unhandled, SharedLimitRow[] SharedLimits);

internal sealed record TypeRow(string Type, Counts Counts, long Refusals);

internal sealed record RunningRow(long Id, string Type, int Attempt, int MaxAttempts, long? ClaimedAt, string? Owner);

internal sealed record ErrorGroup(string Error, long Tasks, long[] ExampleIds);

internal sealed record InterruptionRow(string Reason, long At, Counts Counts);

internal sealed record BatchSnapshot(long Now, BatchRow Batch, TypeRow[] Types, RateSeries Throughput, RunningRow[] Running,
    long RunningShown, ErrorGroup[] Errors, long FailedScanned, InterruptionRow[] Interruptions, PacingRow? Pacing, WorkerRow? Worker, string? Problem,
    SharedLimitRow[] SharedLimits);

internal sealed record ActionResult(string Message);

internal sealed record ProblemResult(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OverviewSnapshot))]
[JsonSerializable(typeof(BatchSnapshot))]
[JsonSerializable(typeof(ActionResult))]
[JsonSerializable(typeof(ProblemResult))]
internal sealed partial class DashboardJson : JsonSerializerContext;
