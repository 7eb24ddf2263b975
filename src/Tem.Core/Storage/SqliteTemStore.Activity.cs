namespace Tem.Storage;

/// <summary>
/// The reads behind <see cref="BatchActivityReads.GetActivityAsync"/> (`tem watch`): counts per task type with what
/// ended and how busy each type was in a recent window, and the errors of recent attempts. Kept apart from the core
/// store so the store's rewrite can carry them over as they are.
/// </summary>
internal sealed partial class SqliteTemStore
{
    /// <summary>Each task type's counts, what ended since <paramref name="sinceMs"/> (or the batch's first start, if later), and its busy time.</summary>
    public IReadOnlyList<TaskTypeActivity> GetTypeActivity(long batchId, long sinceMs, long nowMs)
    {
        return Read(() =>
        {
            // A batch that started running within the window is measured from its first start, not diluted by the
            // time before it (claimed_at is kept by finished tasks, so MIN finds the first start while any is kept).
            using (var first = Command(_reader, "SELECT MIN(claimed_at) FROM task WHERE batch_id = $id;", ("$id", batchId)))
            {
                if (first.ExecuteScalar() is long firstClaimMs && firstClaimMs > sinceMs)
                {
                    sinceMs = Math.Min(firstClaimMs, nowMs - 1);
                }
            }

            // Busy time: the part of each attempt's run [claimed_at, completed_at or now] inside the window; summed and
            // divided by the window it is the average number running — true even when starts come in bursts that a
            // sample of status = 'running' misses. A retried task back in pending has no end time: left out.
            using var command = Command(_reader, """
                SELECT type, status, COUNT(*),
                       SUM(CASE WHEN status IN ('completed', 'failed', 'cancelled') AND completed_at >= $since THEN 1 ELSE 0 END),
                       SUM(CASE
                             WHEN status = 'running' AND claimed_at IS NOT NULL THEN $now - MAX(claimed_at, $since)
                             WHEN status IN ('completed', 'failed') AND claimed_at IS NOT NULL AND completed_at >= $since
                               THEN MIN(completed_at, $now) - MAX(claimed_at, $since)
                             ELSE 0 END)
                FROM task WHERE batch_id = $id GROUP BY type, status ORDER BY type;
                """, ("$id", batchId), ("$since", sinceMs), ("$now", nowMs));
            using var reader = command.ExecuteReader();
            var byType = new SortedDictionary<string, (long[] Counts, long Ended, long BusyMs)>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var type = reader.GetString(0);
                if (!byType.TryGetValue(type, out var row))
                {
                    row = (new long[5], 0, 0);
                }

                row.Counts[(int)StatusNames.ParseTask(reader.GetString(1))] = reader.GetInt64(2);
                row.Ended += reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
                row.BusyMs += reader.IsDBNull(4) ? 0 : Math.Max(0, reader.GetInt64(4));
                byType[type] = row;
            }

            var window = Math.Max(1, nowMs - sinceMs);
            return byType.Select(t => new TaskTypeActivity(
                TimeSpan.FromMilliseconds(window),
                t.Key,
                new BatchStats(
                    t.Value.Counts[(int)TemTaskStatus.Pending], t.Value.Counts[(int)TemTaskStatus.Running], t.Value.Counts[(int)TemTaskStatus.Completed],
                    t.Value.Counts[(int)TemTaskStatus.Failed], t.Value.Counts[(int)TemTaskStatus.Cancelled]),
                t.Value.Ended,
                (double)t.Value.BusyMs / window)).ToList();
        });
    }

    /// <summary>Errors of attempts that ended since <paramref name="sinceMs"/>, oldest first; at most <paramref name="limit"/>, the newest.</summary>
    public IReadOnlyList<TaskErrorSighting> GetRecentErrors(long batchId, long sinceMs, int limit)
    {
        return Read(() =>
        {
            // A failed attempt leaves its error on the row: 'failed' with completed_at, or back in 'pending' (a retry
            // waiting out its backoff) with the attempt's claimed_at.
            using var command = Command(_reader, """
                SELECT id, type, status, attempt, error, COALESCE(completed_at, claimed_at) AS at
                FROM task
                WHERE batch_id = $id AND status IN ('pending', 'failed') AND error IS NOT NULL AND COALESCE(completed_at, claimed_at) >= $since
                ORDER BY at DESC, id DESC LIMIT $limit;
                """, ("$id", batchId), ("$since", sinceMs), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var errors = new List<TaskErrorSighting>();
            while (reader.Read())
            {
                errors.Add(new TaskErrorSighting(reader.GetInt64(0), reader.GetString(1), StatusNames.ParseTask(reader.GetString(2)),
                    reader.GetInt32(3), reader.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
            }

            errors.Reverse(); // oldest first, the order they happened
            return errors;
        });
    }
}
