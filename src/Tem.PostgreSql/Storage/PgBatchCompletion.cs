namespace Tem.Storage.Postgres;

/// <summary>
/// Completes a batch exactly once, without a row every outcome write must lock (issue 26). Batches without
/// interruption criteria keep no counters: their stats are counted from the task index, so an outcome write touches
/// only its own task rows. Only the completion needs care: two writers finishing a batch's last two tasks each see
/// the other's task still running (neither has committed), and both would leave the batch active forever.
/// <para>
/// The rule, run by every writer after its task updates, in statements of their own (each takes a fresh snapshot):
/// <see cref="LockIfLast"/> looks for a <em>witness</em>, one row of the batch still pending or running that no other
/// transaction holds, and locks it (<c>FOR NO KEY UPDATE SKIP LOCKED</c>; claims skip it, its outcome write waits).
/// Whoever finishes that row must update it, so it commits after this writer and runs this rule later: this writer
/// may leave the completion to it. A writer that finds no witness may be finishing the batch: it locks the batch's
/// row, and <see cref="Complete"/>, in the next statement, sees every writer that locked it earlier as committed.
/// Writers that may be last thus queue on the batch row, but only near the batch's end; every other write goes by.
/// </para>
/// <para>
/// Why no batch is left active: take the writer W whose commit leaves nothing pending or running. W found no witness
/// (its witness would still be unfinished at W's commit), so W locked the batch row. A writer V whose rows W's
/// completion check cannot see commits after that check began; had V found no witness, it would need the batch row W
/// holds and commit after W; had it found one, that witness's finisher commits after V, and by the same argument the
/// last of that chain needs W's lock. So W's check sees every task finished, and the update's
/// <c>status = 'active'</c> condition, under the row lock, completes the batch once.
/// </para>
/// </summary>
internal static class PgBatchCompletion
{
    /// <summary>
    /// Locks the row of each active batch of <c>@batchIds</c> that has no witness: no unfinished
    /// task another transaction does not hold. A witness found is locked until this transaction ends.
    /// </summary>
    public const string LockIfLast = """
        SELECT b.id FROM {s}.batch b
        WHERE b.id = ANY(@batchIds) AND b.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM {s}.task w WHERE w.batch_id = b.id AND w.status = 'pending' LIMIT 1 FOR NO KEY UPDATE OF w SKIP LOCKED)
          AND NOT EXISTS (SELECT 1 FROM {s}.task w WHERE w.batch_id = b.id AND w.status = 'running' LIMIT 1 FOR NO KEY UPDATE OF w SKIP LOCKED)
        ORDER BY b.id
        FOR UPDATE OF b;
        """;

    /// <summary>Completes each batch of <c>@batchIds</c> (active, without criteria) with tasks, none pending or running; notifies once if any.</summary>
    public const string Complete = """
        WITH finished AS (
            UPDATE {s}.batch b SET status = 'completed', completed_at = COALESCE(b.completed_at, {now})
            WHERE b.id = ANY(@batchIds) AND b.status = 'active' AND b.interruption_criteria IS NULL
              AND EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = b.id AND status <> 'staged')
              AND NOT EXISTS (SELECT 1 FROM {s}.task WHERE batch_id = b.id AND status IN ('pending', 'running'))
            RETURNING b.id)
        SELECT pg_notify(@channel, @payload) FROM (SELECT 1 FROM finished LIMIT 1) AS f;
        """;
}
