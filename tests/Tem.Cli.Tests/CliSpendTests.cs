using System.Text.Json;
using Xunit;

namespace Tem.Cli.Tests;

/// <summary>Issue 25: <c>tem report</c> and <c>tem show</c> print each batch's and task's tokens and cost.</summary>
public sealed class CliSpendTests : IDisposable
{
    private static readonly TaskType<DocPayload, DocResult> Doc = new("doc", CliTestJson.Default.DocPayload, CliTestJson.Default.DocResult, maxAttempts: 1);
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-spend-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Report_and_show_give_tokens_and_cost_by_type_and_model_against_the_budget()
    {
        long firstTask;
        TemEngine? self = null;
        await using (var tem = TemEngine.Open(new TemOptions
        {
            DatabasePath = DbPath,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Prices = new Dictionary<string, ModelPrice> { ["small"] = new(InputPerMillion: 1m, OutputPerMillion: 4m) },
        }, TemHandlerRegistry.Create(w => w.Register(Doc, async (p, _, ct) =>
        {
            using var permit = await self!.ProviderLimits.AcquireAsync(LimitGroupKey.For(new Uri("http://127.0.0.1/"), "key", "small"), 1000, 500, ct);
            permit.Complete(1000, 250); // $0.001 + $0.001
            return new DocResult($"text {p.N}");
        }))))
        {
            self = tem;
            var batch = await tem.Batches.CreateAsync("priced", "rewrite");
            await tem.Batches.SetBudgetAsync(batch.Id, new BatchBudget { MaxCost = 1m });
            firstTask = await tem.Tasks.EnqueueAsync(batch.Id, Doc, new DocPayload(0));
            await tem.Tasks.EnqueueManyAsync(batch.Id, Doc, Enumerable.Range(1, 3).Select(i => new DocPayload(i)));
            await tem.Worker.StartAsync();
            await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        }

        var (exit, text, err) = await CliTests.Tem("report", DbPath, "priced");
        Assert.True(exit == 0, err);
        Assert.Contains("Spend: 5000 tokens, $0.008 (budget: $0.008 of $1.00)", text);
        Assert.Contains("  doc on small: 4 calls, 4000 input (0 cached) + 1000 output tokens, $0.008", text);

        (exit, text, _) = await CliTests.Tem("report", DbPath, "priced", "--json");
        using (var json = JsonDocument.Parse(text))
        {
            var spend = json.RootElement.GetProperty("spend");
            Assert.Equal(0.008m, spend.GetProperty("costUsd").GetDecimal());
            Assert.Equal(1m, spend.GetProperty("maxCostUsd").GetDecimal());
            Assert.Equal(5000, spend.GetProperty("tokens").GetInt64());
            var line = spend.GetProperty("byTypeAndModel")[0];
            Assert.Equal(("doc", "small", 4L), (line.GetProperty("type").GetString(), line.GetProperty("model").GetString(), line.GetProperty("calls").GetInt64()));
        }

        (exit, text, _) = await CliTests.Tem("show", DbPath, firstTask.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, exit);
        Assert.Contains("Usage on small: 1 calls, 1000 input (0 cached) + 250 output tokens, $0.002", text);
        (_, text, _) = await CliTests.Tem("show", DbPath, firstTask.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        using (var json = JsonDocument.Parse(text))
        {
            Assert.Equal(0.002m, json.RootElement.GetProperty("usage")[0].GetProperty("costUsd").GetDecimal());
        }
    }
}
