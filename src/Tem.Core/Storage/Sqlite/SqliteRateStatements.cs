namespace Tem.Storage;

/// <summary>
/// The grant log of shared limits in a SQLite file (<c>rate_limit_bucket</c>, <c>rate_limit_grant</c>), for several
/// processes on one machine. The write transaction is IMMEDIATE, so it already holds the file's one write lock when
/// its clock is read: grants are made one at a time across processes, in clock order. SQLite's calls are synchronous,
/// so every method completes synchronously.
/// </summary>
internal sealed class SqliteRateStatements(SqliteWrite write) : IRateLedger
{
    public ValueTask<(long NowMs, long PausedUntilMs)> LockAsync(string bucket, long keepMs, CancellationToken cancellationToken)
    {
        var now = write.NowMs;
        using (var upsert = write.Hot("""
            INSERT INTO rate_limit_bucket (name, paused_until, keep_ms) VALUES ($name, 0, $keep)
            ON CONFLICT (name) DO UPDATE SET keep_ms = MAX(keep_ms, excluded.keep_ms)
            RETURNING paused_until, keep_ms;
            """, ("$name", bucket), ("$keep", keepMs)).ExecuteReader())
        {
            upsert.Read();
            var pausedUntil = upsert.GetInt64(0);
            var keep = upsert.GetInt64(1);
            upsert.Close();
            write.Hot("DELETE FROM rate_limit_grant WHERE bucket = $name AND granted_at <= $horizon;", ("$name", bucket), ("$horizon", now - keep)).ExecuteNonQuery();
            return new((now, pausedUntil));
        }
    }

    public ValueTask<long[]> UsedAsync(string bucket, string kind, long[] afterMs, CancellationToken cancellationToken)
    {
        var used = new long[afterMs.Length];
        for (var i = 0; i < afterMs.Length; i++)
        {
            used[i] = (long)write.Hot("""
                SELECT COALESCE(SUM(weight), 0) FROM rate_limit_grant WHERE bucket = $name AND kind = $kind AND granted_at > $after;
                """, ("$name", bucket), ("$kind", kind), ("$after", afterMs[i])).ExecuteScalar()!;
        }

        return new(used);
    }

    public ValueTask<long?> ReachedAtAsync(string bucket, string kind, long afterMs, long weight, CancellationToken cancellationToken)
    {
        var at = write.Hot("""
            SELECT granted_at FROM (
                SELECT granted_at, SUM(weight) OVER (ORDER BY granted_at, id ROWS UNBOUNDED PRECEDING) AS running
                FROM rate_limit_grant WHERE bucket = $name AND kind = $kind AND granted_at > $after)
            WHERE running >= $weight ORDER BY granted_at LIMIT 1;
            """, ("$name", bucket), ("$kind", kind), ("$after", afterMs), ("$weight", weight)).ExecuteScalar();
        return new(at is long value ? value : null);
    }

    public ValueTask RecordAsync(string bucket, string kind, long atMs, long weight, CancellationToken cancellationToken)
    {
        write.Hot("INSERT INTO rate_limit_grant (bucket, kind, granted_at, weight) VALUES ($name, $kind, $at, $weight);",
            ("$name", bucket), ("$kind", kind), ("$at", atMs), ("$weight", weight)).ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask ReturnAsync(string bucket, string kind, long grantedAtMs, long weight, CancellationToken cancellationToken)
    {
        write.Hot("""
            UPDATE rate_limit_grant SET weight = weight - $weight
            WHERE id = (SELECT id FROM rate_limit_grant WHERE bucket = $name AND kind = $kind AND granted_at = $at AND weight >= $weight LIMIT 1);
            """, ("$name", bucket), ("$kind", kind), ("$at", grantedAtMs), ("$weight", weight)).ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask PauseAsync(string bucket, long untilMs, CancellationToken cancellationToken)
    {
        write.Hot("UPDATE rate_limit_bucket SET paused_until = MAX(paused_until, $until) WHERE name = $name;", ("$name", bucket), ("$until", untilMs)).ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs <paramref name="work"/> (rules over this ledger) to the end: every await in it completes synchronously here.</summary>
    public static T Run<T>(ValueTask<T> work) => work.IsCompleted
        ? work.Result
        : throw new InvalidOperationException("A SQLite rate statement yielded; SQLite's calls are synchronous, so this is a bug in Tem.");
}
