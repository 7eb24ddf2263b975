using System.Collections.Concurrent;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// Issue 25: engines on one PostgreSQL database share a batch's budget exactly. Each call reserves 20 input + 30 output
/// tokens (its prompt estimate and max tokens) through the engine's <see cref="ProviderLimits"/>, and reports 15 + 25.
/// </summary>
public sealed class SharedBudgetTests : IAsyncLifetime
{
    private const long Budget = 1_000;
    private readonly string _schema = PostgresServer.NewSchema();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await PostgresServer.DropSchemaAsync(_schema);

    [Fact]
    public async Task Three_engines_sharing_a_token_budget_never_pass_it_and_stop_with_Budget_having_failed_nothing()
    {
        var reported = new ConcurrentBag<long>();
        var engines = new List<TemEngine>();
        for (var i = 0; i < 3; i++)
        {
            engines.Add(await Open(reported));
        }

        try
        {
            var batch = await engines[0].Batches.CreateAsync("shared-budget", "llm");
            await engines[0].Batches.SetBudgetAsync(batch.Id, new BatchBudget { MaxTokens = Budget });
            await engines[0].Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(1, 100).Select(n => new Job(n)));
            foreach (var engine in engines)
            {
                await engine.Worker.StartAsync();
            }

            var stats = await engines[0].WaitForBatchAsync(batch.Id, Engines.Timeout(120));
            var spend = await engines[0].Batches.GetSpendAsync(batch.Id);
            Assert.Equal(InterruptionKind.Budget, Assert.Single(await engines[0].Batches.GetInterruptionsAsync(batch.Id)).Kind);
            Assert.Equal(0, stats.Failed);
            Assert.InRange(spend.Tokens, Budget - 50, Budget); // another call of 50 would not have fit
            Assert.Equal(reported.Sum(), spend.Tokens); // every reported token stored, once
            Assert.Equal(stats.Completed * 40, spend.Tokens);
            Assert.Equal(0, spend.ReservedTokens);
        }
        finally
        {
            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }
        }
    }

    private async Task<TemEngine> Open(ConcurrentBag<long> reported)
    {
        TemEngine? self = null;
        var engine = await Engines.OpenAsync(Engines.Options(_schema, TimeSpan.FromMilliseconds(100), o => o.Concurrency = 4), async (job, _, ct) =>
        {
            using var permit = await self!.ProviderLimits.AcquireAsync(LimitGroupKey.For(new Uri("http://127.0.0.1/"), "key", "small"), 20, 30, ct);
            await Task.Yield(); // the provider answers
            permit.Complete(15, 25);
            reported.Add(40);
            return new JobResult(job.N);
        });
        self = engine;
        return engine;
    }
}
