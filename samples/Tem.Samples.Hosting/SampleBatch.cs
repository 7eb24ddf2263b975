using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tem.Samples.Hosting;

/// <summary>
/// The app's one piece of work: enqueue the batch (idempotently), wait for the hosted worker to finish it, print a
/// report, then stop the host. Registered after <c>AddTem</c>, so the worker is already running when this starts.
/// </summary>
public sealed class SampleBatch(
    TemEngine tem, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<SampleBatch> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Environment.ExitCode = await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C: the host stops the worker gracefully; unfinished tasks stay in the file for the next run.
            Console.WriteLine("Stopped before the batch finished; run again to carry on.");
            Environment.ExitCode = 1;
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "The sample batch failed");
            Environment.ExitCode = 1;
        }
        finally
        {
            // The host would otherwise run until Ctrl+C: this app is done once its batch is.
            lifetime.StopApplication();
        }
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var code = configuration["code"] ?? "hosting-sample";
        var batch = await tem.Batches.GetOrCreateAsync(code, "hosting-sample", cancellationToken: cancellationToken).ConfigureAwait(false);

        // Keys make re-running a no-op. No ResumeAsync here: this process's worker is already running and might hold
        // tasks of the batch; tasks a killed run left 'running' come back by themselves when their lease expires.
        var summaries = await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.Summarize, SampleDocuments.All(),
            d => new EnqueueOptions { IdempotencyKey = "summarize:" + d.Id }, cancellationToken).ConfigureAwait(false);
        var counts = await tem.Tasks.EnqueueManyAsync(batch.Id, TemTasks.CountWords, SampleDocuments.All(),
            d => new EnqueueOptions { IdempotencyKey = "count-words:" + d.Id }, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"Batch '{batch.Code}' (id {batch.Id}) in {tem.DatabasePath}");
        Console.WriteLine($"Enqueued {summaries.Inserted + counts.Inserted} new tasks, {summaries.Skipped + counts.Skipped} already there.");

        var stats = await tem.WaitForBatchAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        var report = await tem.Batches.GetReportAsync(batch.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
        Print(report);
        await PrintResultsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        return stats.Failed == 0 && stats.Completed == stats.Total ? 0 : 1;
    }

    private static void Print(BatchReport report)
    {
        var stats = report.Stats;
        Console.WriteLine($"Batch '{report.Batch.Code}': {stats.Completed} completed, {stats.Failed} failed, {stats.Pending} pending of {stats.Total}.");
        Console.WriteLine("Attempts: " + string.Join(", ", report.Attempts.Select(a => $"{a.Attempts} -> {a.Tasks}")));
        if (report.DurationP50 is { } p50 && report.DurationP95 is { } p95)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Task duration: p50 {p50.TotalMilliseconds:0} ms, p95 {p95.TotalMilliseconds:0} ms"));
        }

        foreach (var error in report.TopErrors)
        {
            Console.WriteLine($"  {error.Tasks} x {error.Error}");
        }
    }

    private async Task PrintResultsAsync(long batchId, CancellationToken cancellationToken)
    {
        var completed = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batchId, Status = TemTaskStatus.Completed, Type = TemTasks.Summarize.Name, Limit = 3 },
            cancellationToken).ConfigureAwait(false);
        foreach (var task in completed)
        {
            var summary = await tem.Tasks.GetResultAsync(task.Id, TemTasks.Summarize, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  {summary.DocumentId} (attempt {summary.Attempt}): {summary.Text}");
        }
    }
}
