using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>Issue 25: each settled call's tokens on OpenTelemetry's GenAI histogram, its cost on tem.cost, and a task's usage stored per model.</summary>
public sealed class SpendTelemetryTests
{
    [Fact]
    public async Task A_calls_usage_is_recorded_as_gen_ai_token_usage_by_type_model_and_provider_and_its_cost_on_tem_cost()
    {
        const string Model = "meter-probe-model"; // only this test uses it: measurements of tests beside it are filtered out
        var tokens = new ConcurrentBag<(long Value, string? Type, string? Provider)>();
        var cost = new ConcurrentBag<double>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Tem" && instrument.Name is "gen_ai.client.token.usage" or "tem.cost")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (Tag(tags, "gen_ai.request.model") == Model)
            {
                tokens.Add((value, Tag(tags, "gen_ai.token.type"), Tag(tags, "gen_ai.provider.name")));
            }
        });
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (Tag(tags, "gen_ai.request.model") == Model)
            {
                cost.Add(value);
            }
        });
        meters.Start();

        using var db = new TempDatabase();
        await using var tem = db.Open(o => o.Prices = new Dictionary<string, ModelPrice> { [Model] = new(InputPerMillion: 2m, OutputPerMillion: 8m) });
        tem.Worker.Register(Types.Echo, async (payload, _, ct) =>
        {
            using var permit = await tem.ProviderLimits.AcquireAsync(LimitGroupKey.For(new Uri("https://api.openai.com/v1"), "key", Model), 150, 40, ct);
            permit.Complete(120, 30);
            return new EchoResult(payload.N, payload.Text);
        });
        var batch = await tem.Batches.CreateAsync("meter", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, Types.Echo, new EchoPayload(1, "a"));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal([(120L, "input", "openai"), (30L, "output", "openai")], tokens.OrderBy(t => t.Type));
        Assert.Equal((double)((120 * 2m + 30 * 8m) / 1_000_000m), Assert.Single(cost)); // $0.00048
        var line = Assert.Single(await tem.Batches.GetTaskSpendAsync(id));
        Assert.Equal((Model, 1L, 120L, 30L, 0.00048m), (line.Model, line.Calls, line.InputTokens, line.OutputTokens, line.Cost));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
