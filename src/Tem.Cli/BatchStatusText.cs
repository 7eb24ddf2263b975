namespace Tem.Cli;

/// <summary>
/// A batch's status as every command says it: a batch that ended with failed tasks says so ("completed with 100
/// failed"), since "completed" alone reads as all done well.
/// </summary>
internal static class BatchStatusText
{
    public static string Of(Batch batch, BatchStats stats)
    {
        var status = batch.Status.ToString().ToLowerInvariant();
        return stats.Failed > 0 && batch.Status is BatchStatus.Completed or BatchStatus.Interrupted
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{status} with {stats.Failed} failed")
            : status;
    }
}
