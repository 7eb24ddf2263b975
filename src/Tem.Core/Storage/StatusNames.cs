namespace Tem.Storage;

/// <summary>The status strings stored in the database, in one place.</summary>
internal static class StatusNames
{
    public static string ToText(TemTaskStatus status) => status switch
    {
        TemTaskStatus.Pending => "pending",
        TemTaskStatus.Running => "running",
        TemTaskStatus.Completed => "completed",
        TemTaskStatus.Failed => "failed",
        TemTaskStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown task status."),
    };

    public static TemTaskStatus ParseTask(string text) => text switch
    {
        "pending" => TemTaskStatus.Pending,
        "running" => TemTaskStatus.Running,
        "completed" => TemTaskStatus.Completed,
        "failed" => TemTaskStatus.Failed,
        "cancelled" => TemTaskStatus.Cancelled,
        _ => throw new TemDatabaseException($"The database holds an unknown task status '{text}'."),
    };

    public static string ToText(BatchStatus status) => status switch
    {
        BatchStatus.Active => "active",
        BatchStatus.Interrupted => "interrupted",
        BatchStatus.Cancelled => "cancelled",
        BatchStatus.Completed => "completed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown batch status."),
    };

    public static BatchStatus ParseBatch(string text) => text switch
    {
        "active" => BatchStatus.Active,
        "interrupted" => BatchStatus.Interrupted,
        "cancelled" => BatchStatus.Cancelled,
        "completed" => BatchStatus.Completed,
        _ => throw new TemDatabaseException($"The database holds an unknown batch status '{text}'."),
    };
}
