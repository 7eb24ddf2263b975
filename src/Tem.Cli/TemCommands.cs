using System.CommandLine;

namespace Tem.Cli;

/// <summary>The commands of the tool, one file each; each opens the database, does one thing, and closes it.</summary>
internal static class TemCommands
{
    public static IEnumerable<Command> All() =>
    [
        BatchesCommand.Create(), ReportCommand.Create(), ListCommand.Create(), ShowCommand.Create(), WatchCommand.Create(),
        SteerBatchCommand.Create("retry-failed", "Return the batch's failed tasks to pending with fresh attempts.", (tem, id) => tem.Batches.RetryFailedAsync(id), "returned {0} failed tasks to pending"),
        SteerBatchCommand.Create("resume", "Make the batch active and return to pending the running tasks of workers that are gone (after a crash); safe while other processes work the batch, whose tasks it leaves alone.", (tem, id) => tem.Batches.ResumeAsync(id), "resumed; {0} running tasks returned to pending"),
        SteerBatchCommand.Create("cancel", "Cancel the batch and its unfinished tasks.", (tem, id) => tem.Batches.CancelAsync(id), "cancelled; {0} tasks cancelled"),
        SteerTaskCommand.Create("retry-task", "Run one failed task again with fresh attempts.", (tem, id) => tem.Tasks.RetryAsync(id), "returned to pending", "is not failed"),
        SteerTaskCommand.Create("cancel-task", "Cancel one pending task.", (tem, id) => tem.Tasks.CancelAsync(id), "cancelled", "is not pending"),
        SteerTaskCommand.Create("rerun-task", "Run one completed task again; its old result stays in its attempt history.", (tem, id) => tem.Tasks.RerunAsync(id), "queued to run again", "is not completed"),
        RouteCommand.Create(CliArguments.Database, CliArguments.Code),
        ExportCommand.Create(),
        DashboardCommand.Create(CliArguments.Database),
        ProbeCommand.Create(),
    ];
}
