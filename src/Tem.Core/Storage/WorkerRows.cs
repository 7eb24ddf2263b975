using System.Data.Common;

namespace Tem.Storage;

/// <summary>The dashboard's reads of the worker and shared-limit tables, in SQL both stores run (placeholders differ).</summary>
internal static class WorkerRows
{
    /// <summary>Columns: owner, machine, pid, started_at, heartbeat_at, expires_at, task_types, scope, in flight, now.</summary>
    public static string Workers(string schemaPrefix, string now) => $"""
        SELECT w.owner, w.machine, w.pid, w.started_at, w.heartbeat_at, w.expires_at, w.task_types, w.scope,
            (SELECT COUNT(*) FROM {schemaPrefix}task t WHERE t.status = 'running' AND t.lease_owner = w.owner), {now}
        FROM {schemaPrefix}worker w ORDER BY w.machine, w.pid, w.owner;
        """;

    /// <summary>Columns: name, paused_until, starts in the last minute, now.</summary>
    public static string SharedLimits(string schemaPrefix, string now) => $"""
        SELECT b.name, b.paused_until,
            (SELECT COUNT(*) FROM {schemaPrefix}rate_limit_grant g WHERE g.bucket = b.name AND g.kind = 'start' AND g.granted_at > {now} - 60000), {now}
        FROM {schemaPrefix}rate_limit_bucket b ORDER BY b.name;
        """;

    public static WorkerInfo ReadWorker(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), Time(r.GetInt64(3)), Time(r.GetInt64(4)), Time(r.GetInt64(5)), Time(r.GetInt64(9)),
        System.Text.Json.JsonSerializer.Deserialize(r.GetString(6), TemCoreJsonContext.Default.StringArray) ?? [],
        r.IsDBNull(7) ? null : r.GetString(7), r.GetInt64(8));

    public static SharedLimitState ReadSharedLimit(DbDataReader r)
    {
        var pausedUntil = r.GetInt64(1);
        return new SharedLimitState(r.GetString(0), pausedUntil > r.GetInt64(3) ? Time(pausedUntil) : null, r.GetInt64(2));
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
