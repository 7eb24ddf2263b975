namespace Tem.Storage;

/// <summary>
/// Budgets, reservations and usage in a SQLite file (<c>spend_budget</c>, <c>spend_reservation</c>, <c>task_usage</c>).
/// A write runs in the file's IMMEDIATE transaction, which holds the one write lock: reservations are made one at a
/// time across processes. Every method completes synchronously.
/// </summary>
internal sealed class SqliteSpendStatements(SqliteRead read, long nowMs) : ISpendLedger
{
    private const string SumColumns = """
        COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(output_tokens), 0),
        COALESCE(SUM(cost), 0), COALESCE(SUM(cost IS NULL), 0), COALESCE(SUM(estimated), 0)
        """;

    public ValueTask<BudgetRow?> BudgetLockAsync(string budget, CancellationToken ct)
    {
        var rows = read.List("SELECT max_tokens, max_cost, spent_tokens, spent_cost, prices FROM spend_budget WHERE name = $name;",
            r => new BudgetRow(r.IsDBNull(0) ? null : r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4)),
            ("$name", budget));
        return new(rows.Count == 0 ? null : rows[0]);
    }

    public ValueTask BudgetUpsertAsync(string budget, long? maxTokens, long? maxCostNanos, string? pricesJson, long spentTokens, long spentCostNanos, CancellationToken ct)
    {
        using var command = read.Command("""
            INSERT INTO spend_budget (name, max_tokens, max_cost, spent_tokens, spent_cost, prices) VALUES ($name, $tokens, $cost, $spentTokens, $spentCost, $prices)
            ON CONFLICT (name) DO UPDATE SET max_tokens = excluded.max_tokens, max_cost = excluded.max_cost, prices = excluded.prices;
            """, ("$name", budget), ("$tokens", maxTokens), ("$cost", maxCostNanos), ("$spentTokens", spentTokens), ("$spentCost", spentCostNanos), ("$prices", pricesJson));
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask BudgetAddSpentAsync(string budget, long tokens, long costNanos, CancellationToken ct)
    {
        read.Hot("UPDATE spend_budget SET spent_tokens = spent_tokens + $tokens, spent_cost = spent_cost + $cost WHERE name = $name;",
            ("$name", budget), ("$tokens", tokens), ("$cost", costNanos)).ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask<(long Tokens, long CostNanos)> ReservationSumAsync(string budget, CancellationToken ct)
        => new(read.List("SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(cost), 0) FROM spend_reservation WHERE budget = $name;",
            r => (r.GetInt64(0), r.GetInt64(1)), ("$name", budget))[0]);

    public ValueTask<long> ReservationInsertAsync(string budget, long taskId, long tokens, long costNanos, CancellationToken ct)
        => new((long)read.Hot("INSERT INTO spend_reservation (budget, task_id, tokens, cost, created_at) VALUES ($name, $task, $tokens, $cost, $now) RETURNING id;",
            ("$name", budget), ("$task", taskId), ("$tokens", tokens), ("$cost", costNanos), ("$now", nowMs)).ExecuteScalar()!);

    public ValueTask<bool> ReservationDeleteAsync(long reservationId, CancellationToken ct)
        => new(read.Hot("DELETE FROM spend_reservation WHERE id = $id;", ("$id", reservationId)).ExecuteNonQuery() > 0);

    public ValueTask UsageInsertAsync(UsageRow usage, CancellationToken ct)
    {
        read.Hot("""
            INSERT INTO task_usage (task_id, batch_id, type, attempt, model, input_tokens, cached_tokens, output_tokens, cost, estimated, created_at)
            VALUES ($task, $batch, $type, $attempt, $model, $input, $cached, $output, $cost, $estimated, $now);
            """, ("$task", usage.TaskId), ("$batch", usage.BatchId), ("$type", usage.TaskType), ("$attempt", usage.Attempt), ("$model", usage.Model),
            ("$input", usage.Usage.InputTokens), ("$cached", usage.Usage.CachedInputTokens), ("$output", usage.Usage.OutputTokens),
            ("$cost", usage.CostNanos), ("$estimated", usage.Estimated ? 1 : 0), ("$now", nowMs)).ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask<(long Tokens, long CostNanos)> UsageSumOfBatchAsync(long batchId, CancellationToken ct)
        => new(read.List("SELECT COALESCE(SUM(input_tokens + output_tokens), 0), COALESCE(SUM(cost), 0) FROM task_usage WHERE batch_id = $id;",
            r => (r.GetInt64(0), r.GetInt64(1)), ("$id", batchId))[0]);

    public ValueTask<IReadOnlyList<UsageSumRow>> UsageByTypeAndModelAsync(long batchId, CancellationToken ct)
        => new(read.List($"SELECT type, model, {SumColumns} FROM task_usage WHERE batch_id = $id GROUP BY type, model ORDER BY type, model;", ReadSum, ("$id", batchId)));

    public ValueTask<IReadOnlyList<UsageSumRow>> UsageOfTaskAsync(long taskId, CancellationToken ct)
        => new(read.List($"SELECT type, model, {SumColumns} FROM task_usage WHERE task_id = $id GROUP BY type, model ORDER BY type, model;", ReadSum, ("$id", taskId)));

    private static UsageSumRow ReadSum(Microsoft.Data.Sqlite.SqliteDataReader r)
        => new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8));
}
