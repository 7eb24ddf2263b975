using Microsoft.Extensions.Logging;
using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// Issue 27 items 4, 6 and 8: mistakes that used to pass without a word — a code reused for another batch type, a
/// PostgreSQL connection string in DatabasePath, a wait with no worker started and no logger — and a timed-out attempt
/// that was logged as "A task was canceled".
/// </summary>
public sealed class SilentMistakeTests
{
    [Fact]
    public async Task GetOrCreate_with_an_existing_code_of_another_type_is_refused()
    {
        using var db = new TempDatabase();
        await using var tem = db.Open();
        var first = await tem.Batches.GetOrCreateAsync("nightly", "rewrite-docs");
        Assert.Equal(first.Id, (await tem.Batches.GetOrCreateAsync("nightly", "rewrite-docs")).Id);

        var ex = await Assert.ThrowsAsync<BatchTypeMismatchException>(() => tem.Batches.GetOrCreateAsync("nightly", "translate"));
        Assert.Equal("A batch with code 'nightly' already exists with type 'rewrite-docs', not 'translate'. " +
            "Choose another code for the 'translate' batch, or pass type 'rewrite-docs' to reopen the existing one.", ex.Message);
        Assert.Equal(("nightly", "rewrite-docs", "translate"), (ex.Code, ex.ExistingType, ex.RequestedType));
    }

    [Theory]
    [InlineData("Host=localhost;Database=tem;Username=tem")]
    [InlineData("Server=db.internal;Port=5432")]
    [InlineData("postgresql://tem@localhost/tem")]
    [InlineData(" Username = tem ; Host = x ")]
    public void A_PostgreSQL_connection_string_in_DatabasePath_says_to_use_UsePostgres(string connectionString)
    {
        using var db = new TempDatabase();
        var options = db.Options(o => o.DatabasePath = Path.Combine(db.Folder, connectionString));
        options.DatabasePath = connectionString;

        var ex = Assert.Throws<TemConfigurationException>(() => TemEngine.Open(options));
        Assert.Contains("looks like a PostgreSQL connection string", ex.Message, StringComparison.Ordinal);
        Assert.Contains("options.UsePostgres(connectionString)", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Environment.CurrentDirectory, "Host=*"));
    }

    [Fact]
    public async Task With_no_logger_a_wait_on_tasks_nothing_runs_warns_on_standard_error()
    {
        using var db = new TempDatabase();
        var stderr = new StringWriter();
        await using var tem = db.Open(o => o.StandardError = TextWriter.Synchronized(stderr), Types.EchoRegistry((p, _, _) => ValueTask.FromResult(new EchoResult(p.N, p.Text))));
        var batch = await tem.Batches.CreateAsync("forgot-start", "t");
        await tem.Tasks.EnqueueManyAsync(batch.Id, Types.Echo, Types.Payloads(2));

        // Worker.StartAsync forgotten: the wait used to hang without a word when no logger was set.
        await Assert.ThrowsAsync<UnhandledTasksException>(() => tem.WaitForBatchOrThrowAsync(batch.Id, TimeSpan.FromSeconds(1), Types.Timeout()));
        Assert.Contains("warn: Tem[13] Batch 'forgot-start' waits for tasks that no live worker handles: 2 of type 'echo'. Start a worker", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_logger_writes_warnings_and_errors_in_one_line_each_and_holds_back_floods()
    {
        var stderr = new StringWriter();
        var time = new ManualClock();
        var logger = new StandardErrorLogger(stderr, time);
        Assert.False(logger.IsEnabled(LogLevel.Information));

        logger.LogInformation("not shown");
        logger.LogError(new EventId(14), new InvalidOperationException("outer", new TimeoutException("inner")), "Task {Id} failed.", 7);
        for (var i = 0; i < 20; i++)
        {
            logger.LogWarning(new EventId(1), "Flood {I}.", i);
        }

        var lines = stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("fail: Tem[14] Task 7 failed. InvalidOperationException: outer (TimeoutException: inner)", lines[0]);
        Assert.Equal(1 + StandardErrorLogger.BurstPerMinute + 1, lines.Length);
        Assert.Equal("warn: Tem[1] More lines like the last are held back for a minute; set TemOptions.Logger to see them all.", lines[^1]);

        time.Advance(TimeSpan.FromMinutes(1));
        logger.LogWarning(new EventId(1), "After a minute.");
        Assert.EndsWith("warn: Tem[1] After a minute." + Environment.NewLine, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timed_out_attempt_is_logged_as_a_timeout_with_its_length()
    {
        using var db = new TempDatabase();
        var logger = new RecordingLogger();
        var slow = new TaskType<EchoPayload, EchoResult>("slow", TestJson.Default.EchoPayload, TestJson.Default.EchoResult, maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(300));
        await using var tem = db.Open(o => o.Logger = logger, TemHandlerRegistry.Create(w => w.Register(slow, async (p, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new EchoResult(p.N, p.Text);
        })));
        var batch = await tem.Batches.CreateAsync("b", "t");
        var id = await tem.Tasks.EnqueueAsync(batch.Id, slow, new EchoPayload(1));
        await tem.Worker.StartAsync();
        await tem.WaitForBatchAsync(batch.Id, Types.Timeout());

        var logged = Assert.Single(logger.Exceptions);
        Assert.IsType<TimeoutException>(logged);
        Assert.Equal("Attempt 1 of 1 timed out after 0.3 s (the handler's TimeoutSeconds, else TemOptions.DefaultTimeout).", logged.Message);
        Assert.StartsWith("Timed out after 0.3 s", (await tem.Tasks.GetAsync(id)).Error, StringComparison.Ordinal);
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
