namespace Tem.Storage.Postgres;

/// <summary>
/// The grant log of shared limits in PostgreSQL (<c>rate_limit_bucket</c>, <c>rate_limit_grant</c>), for engines on
/// many machines. The bucket's row is locked by an upsert and held until the transaction ends, so grants under one name
/// are made one at a time; the clock is <c>clock_timestamp()</c> read after the lock, so grants are logged in clock order.
/// The transaction is READ COMMITTED: each statement after the lock sees every grant committed before it.
/// </summary>
internal sealed class PgRateStatements(PgSession tx) : IRateLedger
{
    /// <summary>The wall clock in Unix milliseconds at the moment the expression is evaluated (not the transaction's start).</summary>
    private const string ClockMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    public async ValueTask<(long NowMs, long PausedUntilMs)> LockAsync(string bucket, long keepMs, CancellationToken cancellationToken)
    {
        var row = await tx.ListAsync($$"""
            INSERT INTO {s}.rate_limit_bucket AS b (name, paused_until, keep_ms) VALUES (@name, 0, @keep)
            ON CONFLICT (name) DO UPDATE SET keep_ms = GREATEST(b.keep_ms, EXCLUDED.keep_ms)
            RETURNING {{ClockMs}}, paused_until, keep_ms;
            """, r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)), cancellationToken, ("name", bucket), ("keep", keepMs)).ConfigureAwait(false);
        var (now, pausedUntil, keep) = row[0];
        await tx.ExecuteAsync("DELETE FROM {s}.rate_limit_grant WHERE bucket = @name AND granted_at <= @horizon;", cancellationToken,
            ("name", bucket), ("horizon", now - keep)).ConfigureAwait(false);
        return (now, pausedUntil);
    }

    public async ValueTask<long[]> UsedAsync(string bucket, string kind, long[] afterMs, CancellationToken cancellationToken)
    {
        var used = await tx.ListAsync("""
            SELECT (SELECT COALESCE(SUM(g.weight), 0)::bigint FROM {s}.rate_limit_grant g WHERE g.bucket = @name AND g.kind = @kind AND g.granted_at > w.edge)
            FROM unnest(@edges) WITH ORDINALITY AS w(edge, i) ORDER BY w.i;
            """, r => r.GetInt64(0), cancellationToken, ("name", bucket), ("kind", kind), ("edges", afterMs)).ConfigureAwait(false);
        return [.. used];
    }

    public async ValueTask<long?> ReachedAtAsync(string bucket, string kind, long afterMs, long weight, CancellationToken cancellationToken)
        => await tx.ScalarAsync("""
            SELECT granted_at FROM (
                SELECT granted_at, SUM(weight) OVER (ORDER BY granted_at, id ROWS UNBOUNDED PRECEDING) AS running
                FROM {s}.rate_limit_grant WHERE bucket = @name AND kind = @kind AND granted_at > @after) AS log
            WHERE running >= @weight ORDER BY granted_at LIMIT 1;
            """, cancellationToken, ("name", bucket), ("kind", kind), ("after", afterMs), ("weight", weight)).ConfigureAwait(false) as long?;

    public async ValueTask RecordAsync(string bucket, string kind, long atMs, long weight, CancellationToken cancellationToken)
        => await tx.ExecuteAsync("INSERT INTO {s}.rate_limit_grant (bucket, kind, granted_at, weight) VALUES (@name, @kind, @at, @weight);", cancellationToken,
            ("name", bucket), ("kind", kind), ("at", atMs), ("weight", weight)).ConfigureAwait(false);

    public async ValueTask ReturnAsync(string bucket, string kind, long grantedAtMs, long weight, CancellationToken cancellationToken)
        => await tx.ExecuteAsync("""
            UPDATE {s}.rate_limit_grant SET weight = weight - @weight
            WHERE id = (SELECT id FROM {s}.rate_limit_grant WHERE bucket = @name AND kind = @kind AND granted_at = @at AND weight >= @weight LIMIT 1);
            """, cancellationToken, ("name", bucket), ("kind", kind), ("at", grantedAtMs), ("weight", weight)).ConfigureAwait(false);

    public async ValueTask PauseAsync(string bucket, long untilMs, CancellationToken cancellationToken)
        => await tx.ExecuteAsync("UPDATE {s}.rate_limit_bucket SET paused_until = GREATEST(paused_until, @until) WHERE name = @name;", cancellationToken,
            ("name", bucket), ("until", untilMs)).ConfigureAwait(false);
}
