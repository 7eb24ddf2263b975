using Tem.Storage;
using Xunit;

namespace Tem.Core.Tests.Conformance;

/// <summary>Budgets, reservations and usage (issue 25) through <see cref="SpendRules"/>, on every store.</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly Dictionary<string, ModelPrice> SpendPrices = new() { ["small"] = new ModelPrice(InputPerMillion: 1000m, OutputPerMillion: 2000m) };

    private ValueTask<SpendGrant> ReserveAsync(long batch, long task, long input, long output, string model = "small")
        => Store.RunSpendAsync(l => SpendRules.ReserveAsync(l, batch, task, new SpendAsk(model, input, output), SpendPrices, None), readOnly: false, None);

    private ValueTask<long?> SettleAsync(long batch, long task, long? reservation, TokenUsage? usage, string model = "small")
        => Store.RunSpendAsync(l => SpendRules.SettleAsync(l, reservation, batch, task, "t", 1, model, usage, estimated: false, SpendPrices, None), readOnly: false, None);

    private ValueTask<BatchSpend> SpendOfAsync(long batch) => Store.RunSpendAsync(l => SpendRules.ReadAsync(l, batch, None), readOnly: true, None);

    private async Task<(long Batch, long Task)> BudgetedAsync(BatchBudget budget, string code = "b")
    {
        var batch = await BatchAsync(code);
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        var task = Assert.Single(await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Id;
        await Store.RunSpendAsync(l => SpendRules.SetAsync(l, batch, budget, None), readOnly: false, None);
        return (batch, task);
    }

    [Fact]
    public async Task A_call_is_held_while_spent_plus_held_fits_waits_while_calls_in_flight_could_free_room_and_is_refused_once_none_could()
    {
        // A call of 10 in + 10 out costs 10 x $0.001 + 10 x $0.002 = $0.03; the budget is $0.07.
        var (batch, task) = await BudgetedAsync(new BatchBudget { MaxCost = 0.07m });
        var first = await ReserveAsync(batch, task, 10, 10);
        var second = await ReserveAsync(batch, task, 10, 10);
        Assert.Equal((SpendGrantKind.Held, SpendGrantKind.Held), (first.Kind, second.Kind));
        Assert.Equal(30_000_000, first.CostNanos);
        Assert.Equal(SpendGrantKind.Wait, (await ReserveAsync(batch, task, 10, 10)).Kind); // $0.06 held, $0.01 free: the two may settle lower

        // They settle at what the provider reported: 5 in, 5 out = $0.015 each, so a third fits.
        await SettleAsync(batch, task, first.ReservationId, new TokenUsage(5, 0, 5));
        await SettleAsync(batch, task, second.ReservationId, new TokenUsage(5, 0, 5));
        var third = await ReserveAsync(batch, task, 10, 10);
        Assert.Equal(SpendGrantKind.Held, third.Kind);
        await SettleAsync(batch, task, third.ReservationId, new TokenUsage(10, 0, 10));

        // $0.06 spent, nothing in flight: a call needing $0.03 can never fit.
        var refused = await ReserveAsync(batch, task, 10, 10);
        Assert.Equal(SpendGrantKind.Refused, refused.Kind);
        Assert.Equal("The batch's budget is reached: spent $0.06 of $0.07, $0.01 left, and the next call needs up to $0.03 (model 'small'). "
            + "Raise it with Batches.SetBudgetAsync, then call Batches.ResumeAsync to carry on.", refused.Refusal);

        var spend = await SpendOfAsync(batch);
        Assert.Equal(0.06m, spend.Cost);
        Assert.Equal(0.07m, spend.MaxCost);
        Assert.Equal(40, spend.Tokens);
        Assert.Equal(0, spend.ReservedTokens);
        var line = Assert.Single(spend.Lines);
        Assert.Equal(("t", "small", 3L, 20L, 20L), (line.TaskType, line.Model, line.Calls, line.InputTokens, line.OutputTokens));

        // Raised, the same call is held again.
        await Store.RunSpendAsync(l => SpendRules.SetAsync(l, batch, new BatchBudget { MaxCost = 1m }, None), readOnly: false, None);
        Assert.Equal(SpendGrantKind.Held, (await ReserveAsync(batch, task, 10, 10)).Kind);
        Assert.Equal(0.06m, (await SpendOfAsync(batch)).Cost); // raising keeps what was spent
    }

    [Fact]
    public async Task A_token_budget_needs_no_price_and_a_cost_budget_refuses_a_model_without_one()
    {
        var (batch, task) = await BudgetedAsync(new BatchBudget { MaxTokens = 25 });
        Assert.Equal(SpendGrantKind.Held, (await ReserveAsync(batch, task, 10, 10, model: "unpriced")).Kind);
        Assert.Equal(SpendGrantKind.Wait, (await ReserveAsync(batch, task, 3, 3, model: "unpriced")).Kind);

        var (costBatch, costTask) = await BudgetedAsync(new BatchBudget { MaxCost = 1m }, code: "c");
        var refused = await ReserveAsync(costBatch, costTask, 1, 1, model: "unpriced");
        Assert.Equal(SpendGrantKind.Refused, refused.Kind);
        Assert.Contains("model 'unpriced' has no price", refused.Refusal);
        Assert.Contains("TemOptions.Prices", refused.Refusal);
    }

    [Fact]
    public async Task Cost_is_tokens_times_prices_exactly_with_cached_input_and_the_batch_prices_first()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        var task = Assert.Single(await Store.ClaimAsync("w", ["t"], default, 1, Lease, None)).Id;
        var own = new Dictionary<string, ModelPrice> { ["gpt-4o-mini"] = new ModelPrice(0.15m, 0.60m) { CachedInputPerMillion = 0.075m } };
        await Store.RunSpendAsync(l => SpendRules.SetAsync(l, batch, new BatchBudget { Prices = own }, None), readOnly: false, None);
        // A dated snapshot takes its family's price; (1034 x 0.15 + 200 x 0.075 + 567 x 0.60) / 1M = $0.0005103.
        var cost = await SettleAsync(batch, task, null, new TokenUsage(1234, 200, 567), model: "gpt-4o-mini-2024-07-18");
        Assert.Equal(510_300, cost);
        Assert.Equal(0.0005103m, (await SpendOfAsync(batch)).Cost);
        Assert.Null((await SpendOfAsync(batch)).MaxCost);
        Assert.Equal(0.00025515m, new ModelPrice(0.15m, 0.60m) { CachedInputPerMillion = 0.075m }.CostOf(new TokenUsage(1234, 200, 567), viaBatchApi: true));
    }

    [Fact]
    public async Task A_lost_runs_reservations_are_released_with_it()
    {
        var batch = await BatchAsync();
        await Store.EnqueueAsync(batch, "t", [Row("a")], None);
        var task = Assert.Single(await Store.ClaimAsync("w", ["t"], default, 1, TimeSpan.FromMilliseconds(1), None)).Id;
        await Store.RunSpendAsync(l => SpendRules.SetAsync(l, batch, new BatchBudget { MaxTokens = 100 }, None), readOnly: false, None);
        Assert.Equal(SpendGrantKind.Held, (await ReserveAsync(batch, task, 30, 40)).Kind);
        Assert.Equal(70, (await SpendOfAsync(batch)).ReservedTokens);
        Assert.Equal(SpendGrantKind.Wait, (await ReserveAsync(batch, task, 30, 40)).Kind);

        await PassLeaseAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await Store.RecoverExpiredLeasesAsync(TimeSpan.Zero, None));
        Assert.Equal(0, (await SpendOfAsync(batch)).ReservedTokens);
        Assert.Equal(SpendGrantKind.Held, (await ReserveAsync(batch, task, 30, 40)).Kind);
    }
}
