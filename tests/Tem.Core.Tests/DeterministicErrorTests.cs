using Xunit;

namespace Tem.Core.Tests;

/// <summary>Errors another attempt would repeat (TemOptions.NonRetryableExceptionTypes) fail on the first attempt.</summary>
public class DeterministicErrorTests
{
    [Fact]
    public async Task A_NotSupportedException_costs_one_call_per_task_not_one_per_attempt()
    {
        var (calls, error) = await RunAsync(new NotSupportedException("Reflection-based serialization has been disabled for this application."), null);
        Assert.Equal(3, calls);
        Assert.Equal("System.NotSupportedException: Reflection-based serialization has been disabled for this application. (Failed at once: System.NotSupportedException is in TemOptions.NonRetryableExceptionTypes, errors another attempt would repeat; remove its type there to retry it.)", error);
    }

    [Fact]
    public async Task A_derived_type_fails_at_once_too()
    {
        var (calls, _) = await RunAsync(new ArgumentOutOfRangeException("count"), null);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Other_errors_and_a_cleared_list_retry_every_attempt()
    {
        var (calls, error) = await RunAsync(new System.Text.Json.JsonException("the model's reply did not parse"), null);
        Assert.True(calls == 12, $"{calls} calls: {error}");
        Assert.Equal(12, (await RunAsync(new NotSupportedException("x"), o => o.NonRetryableExceptionTypes.Clear())).Calls);
    }

    [Fact]
    public void A_type_that_is_no_exception_is_refused_with_a_message()
    {
        using var db = new TempDatabase();
        var error = Assert.Throws<TemConfigurationException>(() => db.Open(o => o.NonRetryableExceptionTypes.Add(typeof(string))));
        Assert.Equal("TemOptions.NonRetryableExceptionTypes must be a list of exception types (types derived from System.Exception); use an empty list to retry every exception.", error.Message);
    }

    private static async Task<(int Calls, string? Error)> RunAsync(Exception thrown, Action<TemOptions>? configure)
    {
        using var db = new TempDatabase();
        var calls = 0;
        await using var tem = db.Open(o =>
        {
            o.Concurrency = 3;
            o.DefaultMaxAttempts = 4;
            o.PollInterval = TimeSpan.FromMilliseconds(20);
            configure?.Invoke(o);
        }, Types.EchoRegistry((_, _, _) =>
        {
            Interlocked.Increment(ref calls);
            throw thrown;
        }));
        var batch = await tem.Batches.CreateAsync("det", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(3));
        await tem.Worker.StartAsync();
        Assert.Equal(new BatchStats(0, 0, 0, 3, 0), await tem.WaitForBatchAsync(batch.Id, Types.Timeout(60)));
        var task = (await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Limit = 1 }))[0];
        return (calls, task.Error);
    }
}
