using Microsoft.AspNetCore.Http;

namespace Tem.Dashboard;

/// <summary>
/// A write action a page offers as a button: its URL segment, the button and confirmation texts, and what it does.
/// Pages render buttons from these lists and one endpoint per kind serves them all, so a new action
///) is one more entry in a list, with no new page code.
/// </summary>
internal sealed record SteeringAction(string Name, string Label, string Confirm, bool Danger, bool AsksReason,
    Func<TemEngine, long, IFormCollection, CancellationToken, Task<string>> Run)
{
    public static readonly SteeringAction[] ForBatches =
    [
        new("retry-failed", "Retry failed", "Return every failed task of this batch to pending with fresh attempts?", false, false,
            async (tem, id, _, ct) => $"Returned {await tem.Batches.RetryFailedAsync(id, ct).ConfigureAwait(false)} failed tasks to pending."),
        new("resume", "Resume", "Make this batch active again, and return to pending the running tasks that no live worker holds (runs lost to a crash)?", false, false,
            async (tem, id, _, ct) => $"Resumed; {await tem.Batches.ResumeAsync(id, ct).ConfigureAwait(false)} lost runs returned to pending."),
        new("interrupt", "Interrupt", "Interrupt this batch? Its pending tasks wait until it is resumed; running ones finish.", false, true,
            async (tem, id, form, ct) => await tem.Batches.InterruptAsync(id, Reason(form), ct).ConfigureAwait(false)
                ? "Interrupted." : "The batch was not active; nothing changed."),
        new("cancel", "Cancel batch", "Cancel this batch and all its pending and running tasks? This cannot be undone.", true, false,
            async (tem, id, _, ct) => $"Cancelled; {await tem.Batches.CancelAsync(id, ct).ConfigureAwait(false)} tasks cancelled."),
    ];

    /// <summary>Per-task actions; the task page shows each only for tasks in <see cref="AppliesTo"/>.</summary>
    public static readonly SteeringAction[] ForTasks =
    [
        new("retry", "Retry task", "Run this failed task again with fresh attempts?", false, false,
            async (tem, id, _, ct) => await tem.Tasks.RetryAsync(id, ct).ConfigureAwait(false) ? "Returned the task to pending." : "The task is not failed; nothing changed.")
            { AppliesTo = TemTaskStatus.Failed },
        new("rerun", "Run again", "Run this completed task again? Its current result is kept in its attempt history.", false, false,
            async (tem, id, _, ct) => await tem.Tasks.RerunAsync(id, ct).ConfigureAwait(false) ? "The task will run again." : "The task is not completed; nothing changed.")
            { AppliesTo = TemTaskStatus.Completed },
        new("cancel", "Cancel task", "Cancel this pending task? It will not run.", true, false,
            async (tem, id, _, ct) => await tem.Tasks.CancelAsync(id, ct).ConfigureAwait(false) ? "Cancelled the task." : "The task is not pending; nothing changed.")
            { AppliesTo = TemTaskStatus.Pending },
    ];

    /// <summary>For per-task actions, the status a task must be in for the page to offer it.</summary>
    public TemTaskStatus? AppliesTo { get; init; }

    public static SteeringAction? Find(SteeringAction[] actions, string? name) => actions.FirstOrDefault(a => a.Name == name);

    private static string Reason(IFormCollection form)
    {
        var reason = form["reason"].ToString().Trim();
        return reason.Length == 0 ? "interrupted from the dashboard" : reason[..Math.Min(reason.Length, 500)];
    }

    /// <summary>The action's button; the page script asks for confirmation, then posts with the page's token.</summary>
    public string Button(string url) =>
        $"<button type=\"button\" class=\"{(Danger ? "danger" : "secondary")}\" data-action=\"{PageLayout.Text(Name)}\" data-url=\"{PageLayout.Text(url)}\"" +
        $" data-title=\"{PageLayout.Text(Label)}\" data-confirm=\"{PageLayout.Text(Confirm)}\"{(AsksReason ? " data-reason=\"true\"" : "")}>{PageLayout.Text(Label)}</button>";
}
