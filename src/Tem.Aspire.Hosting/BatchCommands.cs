using System.Globalization;

namespace Tem.Aspire.Hosting;

/// <summary>
/// What the resource's commands do, on every batch of the database where they apply (the dashboard page steers one
/// batch at a time; the app host's buttons have no batch to point at). Each returns the sentence the app host shows.
/// </summary>
public static class BatchCommands
{
    /// <summary>Returns every failed task of every batch to pending with fresh attempts.</summary>
    /// <param name="tem">The engine on the database.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async Task<string> RetryFailedAsync(TemEngine tem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tem);
        long tasks = 0;
        var batches = 0;
        foreach (var batch in await tem.Batches.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (batch.Status == BatchStatus.Cancelled)
            {
                continue;
            }

            var returned = await tem.Batches.RetryFailedAsync(batch.Id, cancellationToken).ConfigureAwait(false);
            tasks += returned;
            batches += returned > 0 ? 1 : 0;
        }

        return tasks == 0 ? "No failed tasks to retry." : Say($"Returned {tasks} failed tasks of {batches} batch(es) to pending.");
    }

    /// <summary>Interrupts every active batch: pending tasks wait until it is resumed; running ones finish.</summary>
    /// <param name="tem">The engine on the database.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async Task<string> InterruptAsync(TemEngine tem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tem);
        var codes = new List<string>();
        foreach (var batch in await tem.Batches.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (batch.Status == BatchStatus.Active
                && await tem.Batches.InterruptAsync(batch.Id, "interrupted from the Aspire app host", cancellationToken).ConfigureAwait(false))
            {
                codes.Add(batch.Code);
            }
        }

        return codes.Count == 0 ? "No active batch to interrupt." : $"Interrupted {string.Join(", ", codes)}.";
    }

    /// <summary>Resumes every interrupted batch, and returns to pending the running tasks no live worker holds.</summary>
    /// <param name="tem">The engine on the database.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async Task<string> ResumeAsync(TemEngine tem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tem);
        var codes = new List<string>();
        long lost = 0;
        foreach (var batch in await tem.Batches.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (batch.Status == BatchStatus.Interrupted)
            {
                lost += await tem.Batches.ResumeAsync(batch.Id, cancellationToken).ConfigureAwait(false);
                codes.Add(batch.Code);
            }
        }

        return codes.Count == 0 ? "No interrupted batch to resume." : Say($"Resumed {string.Join(", ", codes)}; {lost} lost runs returned to pending.");
    }

    private static string Say(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
