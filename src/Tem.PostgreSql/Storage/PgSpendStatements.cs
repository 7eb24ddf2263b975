namespace Tem.Storage.Postgres;

/// <summary>
/// Budgets, reservations and usage in PostgreSQL (<c>spend_budget</c>, <c>spend_reservation</c>, <c>task_usage</c>), for
/// engines on many machines. A write locks the budget's row (<c>FOR UPDATE</c>) first and holds it until the transaction
/// ends, so calls under one budget are held one at a time; READ COMMITTED, each later statement sees every reservation
/// and settlement committed before the lock was granted.
/// </summary>
internal sealed class PgSpendStatements(PgSession tx, bool lockRows) : ISpendLedger
{
    private const string SumColumns = """
        COUNT(*), COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(cached_tokens), 0)::bigint, COALESCE(SUM(output_tokens), 0)::bigint,
        COALESCE(SUM(cost), 0)::bigint, COUNT(*) FILTER (WHERE cost IS NULL), COUNT(*) FILTER (WHERE estimated)
        """;

    public async ValueTask<BudgetRow?> BudgetLockAsync(string budget, CancellationToken ct)
    {
        var rows = await tx.ListAsync("SELECT max_tokens, max_cost, spent_tokens, spent_cost, prices FROM {s}.spend_budget WHERE name = @name" + (lockRows ? " FOR UPDATE;" : ";"),
            r => new BudgetRow(r.IsDBNull(0) ? null : r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4)),
            ct, ("name", budget)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async ValueTask BudgetUpsertAsync(string budget, long? maxTokens, long? maxCostNanos, string? pricesJson, long spentTokens, long spentCostNanos, CancellationToken ct)
        => await tx.ExecuteAsync("""
            INSERT INTO {s}.spend_budget (name, max_tokens, max_cost, spent_tokens, spent_cost, prices) VALUES (@name, @tokens, @cost, @spentTokens, @spentCost, @prices)
            ON CONFLICT (name) DO UPDATE SET max_tokens = EXCLUDED.max_tokens, max_cost = EXCLUDED.max_cost, prices = EXCLUDED.prices;
            """, ct, ("name", budget), ("tokens", maxTokens), ("cost", maxCostNanos), ("spentTokens", spentTokens), ("spentCost", spentCostNanos), ("prices", pricesJson)).ConfigureAwait(false);

    public async ValueTask BudgetAddSpentAsync(string budget, long tokens, long costNanos, CancellationToken ct)
        => await tx.ExecuteAsync("UPDATE {s}.spend_budget SET spent_tokens = spent_tokens + @tokens, spent_cost = spent_cost + @cost WHERE name = @name;", ct,
            ("name", budget), ("tokens", tokens), ("cost", costNanos)).ConfigureAwait(false);

    public async ValueTask<(long Tokens, long CostNanos)> ReservationSumAsync(string budget, CancellationToken ct)
        => (await tx.ListAsync("SELECT COALESCE(SUM(tokens), 0)::bigint, COALESCE(SUM(cost), 0)::bigint FROM {s}.spend_reservation WHERE budget = @name;",
            r => (r.GetInt64(0), r.GetInt64(1)), ct, ("name", budget)).ConfigureAwait(false))[0];

    public async ValueTask<long> ReservationInsertAsync(string budget, long taskId, long tokens, long costNanos, CancellationToken ct)
        => (long)(await tx.ScalarAsync("INSERT INTO {s}.spend_reservation (budget, task_id, tokens, cost, created_at) VALUES (@name, @task, @tokens, @cost, {now}) RETURNING id;", ct,
            ("name", budget), ("task", taskId), ("tokens", tokens), ("cost", costNanos)).ConfigureAwait(false))!;

    public async ValueTask<bool> ReservationDeleteAsync(long reservationId, CancellationToken ct)
        => await tx.ExecuteAsync("DELETE FROM {s}.spend_reservation WHERE id = @id;", ct, ("id", reservationId)).ConfigureAwait(false) > 0;

    public async ValueTask UsageInsertAsync(UsageRow usage, CancellationToken ct)
        => await tx.ExecuteAsync("""
            INSERT INTO {s}.task_usage (task_id, batch_id, type, attempt, model, input_tokens, cached_tokens, output_tokens, cost, estimated, created_at)
            VALUES (@task, @batch, @type, @attempt, @model, @input, @cached, @output, @cost, @estimated, {now});
            """, ct, ("task", usage.TaskId), ("batch", usage.BatchId), ("type", usage.TaskType), ("attempt", usage.Attempt), ("model", usage.Model),
            ("input", usage.Usage.InputTokens), ("cached", usage.Usage.CachedInputTokens), ("output", usage.Usage.OutputTokens),
            ("cost", usage.CostNanos), ("estimated", usage.Estimated)).ConfigureAwait(false);

    public async ValueTask<(long Tokens, long CostNanos)> UsageSumOfBatchAsync(long batchId, CancellationToken ct)
        => (await tx.ListAsync("SELECT COALESCE(SUM(input_tokens + output_tokens), 0)::bigint, COALESCE(SUM(cost), 0)::bigint FROM {s}.task_usage WHERE batch_id = @id;",
            r => (r.GetInt64(0), r.GetInt64(1)), ct, ("id", batchId)).ConfigureAwait(false))[0];

    public async ValueTask<IReadOnlyList<UsageSumRow>> UsageByTypeAndModelAsync(long batchId, CancellationToken ct)
        => await tx.ListAsync($"SELECT type, model, {SumColumns} FROM {{s}}.task_usage WHERE batch_id = @id GROUP BY type, model ORDER BY type, model;", ReadSum, ct, ("id", batchId)).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<UsageSumRow>> UsageOfTaskAsync(long taskId, CancellationToken ct)
        => await tx.ListAsync($"SELECT type, model, {SumColumns} FROM {{s}}.task_usage WHERE task_id = @id GROUP BY type, model ORDER BY type, model;", ReadSum, ct, ("id", taskId)).ConfigureAwait(false);

    private static UsageSumRow ReadSum(Npgsql.NpgsqlDataReader r)
        => new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8));
}
