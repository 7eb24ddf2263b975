using System.Data.Common;

namespace Tem.Storage;

/// <summary>
/// Reads a task from a row whose columns come in the order every store selects them (id, batch_id, type, status,
/// payload, result, error, attempt, max_attempts, priority, run_after, created_at, claimed_at, completed_at,
/// idempotency_key, lease_owner; times as Unix milliseconds), so each store maps rows the same way.
/// </summary>
internal static class TaskRow
{
    public static TemTask Read(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        BatchId = reader.GetInt64(1),
        Type = reader.GetString(2),
        Status = StatusNames.ParseTask(reader.GetString(3)),
        PayloadJson = reader.GetString(4),
        ResultJson = reader.IsDBNull(5) ? null : reader.GetString(5),
        Error = reader.IsDBNull(6) ? null : reader.GetString(6),
        Attempt = reader.GetInt32(7),
        MaxAttempts = reader.GetInt32(8),
        Priority = reader.GetInt32(9),
        RunAfter = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
        ClaimedAt = reader.IsDBNull(12) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(12)),
        CompletedAt = reader.IsDBNull(13) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(13)),
        IdempotencyKey = reader.IsDBNull(14) ? null : reader.GetString(14),
        LeaseOwner = reader.IsDBNull(15) ? null : reader.GetString(15),
    };
}
