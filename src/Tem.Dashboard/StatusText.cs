namespace Tem.Dashboard;

/// <summary>The lower-case status words the page and the CLI use.</summary>
internal static class StatusText
{
    public static string Of(BatchStatus status) => status switch
    {
        BatchStatus.Active => "active",
        BatchStatus.Interrupted => "interrupted",
        BatchStatus.Cancelled => "cancelled",
        _ => "completed",
    };

    public static string Of(TemTaskStatus status) => status switch
    {
        TemTaskStatus.Pending => "pending",
        TemTaskStatus.Running => "running",
        TemTaskStatus.Completed => "completed",
        TemTaskStatus.Failed => "failed",
        _ => "cancelled",
    };
}
