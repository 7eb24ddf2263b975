using System.Text;
using static Tem.Dashboard.PageLayout;

namespace Tem.Dashboard;

/// <summary>The task page's list of earlier attempts: how each ended, its error, and its stack trace when opened.</summary>
internal static class AttemptHistory
{
    public static void Append(StringBuilder html, IReadOnlyList<TaskAttempt> attempts)
    {
        if (attempts.Count == 0)
        {
            return;
        }

        html.Append("<section class=\"panel\"><h2>Earlier attempts <small>oldest first</small></h2><div id=\"attempts\">");
        foreach (var attempt in attempts)
        {
            var outcome = attempt.Outcome.ToString().ToLowerInvariant();
            html.Append("<details class=\"error-group\"><summary><span class=\"count\">").Append(attempt.Attempt).Append("</span>")
                .Append("<span class=\"badge ").Append(outcome).Append("\">").Append(outcome).Append("</span>")
                .Append("<span class=\"error-text\">").Append(Text(attempt.Error ?? (attempt.ResultJson is null ? "" : "replaced result"))).Append("</span>")
                .Append("<span class=\"muted small nowrap\">").Append(Text(TaskPage.Time(attempt.EndedAt))).Append("</span></summary>");
            if (attempt.Detail is { } detail)
            {
                html.Append("<pre class=\"code error\">").Append(Text(detail)).Append("</pre>");
            }

            if (attempt.ResultJson is { } result)
            {
                html.Append("<pre class=\"code\">").Append(Text(TaskPage.Pretty(result))).Append("</pre>");
            }

            html.Append("</details>");
        }

        html.Append("</div></section>");
    }
}
