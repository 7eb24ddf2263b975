using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Xunit;

namespace Tem.Core.Tests;

public class TelemetryTests
{
    [Fact]
    public async Task Metrics_and_activities_report_a_real_batch()
    {
        // A task type only this test uses, so measurements of tests running beside it are filtered out.
        var probe = new TaskType<EchoPayload, EchoResult>("telemetry-probe", TestJson.Default.EchoPayload, TestJson.Default.EchoResult, maxAttempts: 2);
        var counters = new ConcurrentDictionary<string, long>();
        var durations = new ConcurrentBag<double>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Tem")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (HasProbeTag(tags))
            {
                counters.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            }
        });
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "tem.task.duration" && HasProbeTag(tags))
            {
                durations.Add(value);
            }
        });
        meters.Start();

        var activities = new ConcurrentBag<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Tem",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if ((string?)a.GetTagItem("tem.task.type") == "telemetry-probe")
                {
                    activities.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(tracing);

        using var db = new TempDatabase();
        await using var tem = db.Open(registry: TemHandlerRegistry.Create(w => w.Register(probe, (p, ctx, _) =>
            p.N switch
            {
                0 => throw new NonRetryableException("bad"),
                1 when ctx.Attempt == 1 => throw new InvalidOperationException("flaky"),
                _ => ValueTask.FromResult(new EchoResult(p.N, "")),
            })));
        var batch = await tem.Batches.CreateAsync("telemetry", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, probe, Types.Payloads(10));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());
        await tem.Worker.StopAsync();

        Assert.Equal(11, counters.GetValueOrDefault("tem.tasks.started"));
        Assert.Equal(9, counters.GetValueOrDefault("tem.tasks.completed"));
        Assert.Equal(1, counters.GetValueOrDefault("tem.tasks.failed"));
        Assert.Equal(1, counters.GetValueOrDefault("tem.tasks.retried"));
        Assert.Equal(11, durations.Count);

        Assert.Equal(11, activities.Count);
        Assert.All(activities, a =>
        {
            Assert.Equal("telemetry", a.GetTagItem("tem.batch.code"));
            Assert.Equal(batch.Id, a.GetTagItem("tem.batch.id"));
        });
        var failed = Assert.Single(activities, a => (string?)a.GetTagItem("tem.task.outcome") == "failed");
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(1, failed.GetTagItem("tem.task.attempt"));
        Assert.Single(activities, a => (string?)a.GetTagItem("tem.task.outcome") == "retry");
        Assert.Equal(9, activities.Count(a => (string?)a.GetTagItem("tem.task.outcome") == "completed"));
    }

    [Fact]
    public async Task WatchBatch_yields_progress_until_the_batch_is_finished()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open(registry: TemHandlerRegistry.Create(w => w.Register(Types.Echo, async (p, _, ct) =>
        {
            await Task.Delay(5, ct);
            return new EchoResult(p.N, "");
        })));
        var batch = await tem.Batches.CreateAsync("w", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(100));
        await tem.Worker.StartAsync();
        var samples = new List<BatchProgress>();
        await foreach (var progress in tem.WatchBatchAsync(batch.Id, TimeSpan.FromMilliseconds(20), Types.Timeout()))
        {
            samples.Add(progress);
        }

        Assert.True(samples[^1].IsFinished);
        Assert.Equal(100, samples[^1].Done);
        Assert.All(samples[..^1], s => Assert.False(s.IsFinished));
        Assert.True(samples.Zip(samples.Skip(1)).All(p => p.Second.Done >= p.First.Done));
    }

    private static bool HasProbeTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "tem.task.type" && (string?)tag.Value == "telemetry-probe")
            {
                return true;
            }
        }

        return false;
    }
}
