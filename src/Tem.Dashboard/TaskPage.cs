using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static Tem.Dashboard.PageLayout;

namespace Tem.Dashboard;

/// <summary>One task: payload, result, error, attempts and times, all rendered on the server and all encoded.</summary>
internal static class TaskPage
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext http, DashboardContext dashboard, TemTask task, Batch? batch, IReadOnlyList<TaskAttempt> attempts)
    {
        var status = StatusText.Of(task.Status);
        var main = new StringBuilder();
        main.Append("<nav class=\"crumbs\"><a href=\"").Append(Text(dashboard.Url("/"))).Append("\">Batches</a> / ");
        if (batch is not null)
        {
            main.Append("<a href=\"").Append(Text(dashboard.Url($"/batches/{batch.Id}"))).Append("\">").Append(Text(batch.Code)).Append("</a> / ");
        }

        main.Append("<span>task ").Append(task.Id).Append("</span></nav>")
            .Append("<section class=\"title-row\"><div><h1>Task ").Append(task.Id).Append("</h1><p class=\"muted\">type ").Append(Text(task.Type))
            .Append("</p></div><span class=\"badge ").Append(status).Append("\">").Append(status).Append("</span>");
        var actions = SteeringAction.ForTasks.Where(a => a.AppliesTo == task.Status).ToArray();
        if (dashboard.CanWrite(http) && actions.Length > 0)
        {
            main.Append("<div class=\"actions\" id=\"actions\">");
            foreach (var action in actions)
            {
                main.Append(action.Button(dashboard.Url($"/tasks/{task.Id}/{action.Name}")));
            }

            main.Append("</div>");
        }

        main.Append("</section><section class=\"panel\"><dl class=\"facts\">");
        Fact(main, "Attempt", $"{task.Attempt} of {task.MaxAttempts}");
        Fact(main, "Priority", task.Priority.ToString(CultureInfo.InvariantCulture));
        Fact(main, "Created", Time(task.CreatedAt));
        Fact(main, "Run after", Time(task.RunAfter));
        Fact(main, "Claimed", Time(task.ClaimedAt));
        Fact(main, "Ended", Time(task.CompletedAt));
        Fact(main, "Idempotency key", task.IdempotencyKey ?? "—");
        Fact(main, "Worker", task.LeaseOwner ?? "—");
        main.Append("</dl></section>");
        if (task.Error is { } error)
        {
            main.Append("<section class=\"panel\"><h2>Last error</h2><pre class=\"code error\" id=\"task-error\">").Append(Text(error)).Append("</pre>")
                .Append("</section>");
        }

        AttemptHistory.Append(main, attempts);

        main.Append("<section class=\"panel\"><h2>Payload</h2><pre class=\"code\" id=\"task-payload\">").Append(Text(Pretty(task.PayloadJson))).Append("</pre></section>");
        if (task.ResultJson is { } result)
        {
            main.Append("<section class=\"panel\"><h2>Result</h2><pre class=\"code\" id=\"task-result\">").Append(Text(Pretty(result))).Append("</pre></section>");
        }

        return PageLayout.WriteAsync(http, dashboard, 200, "task", $"Task {task.Id}", main.ToString());
    }

    private static void Fact(StringBuilder html, string name, string value)
        => html.Append("<div><dt>").Append(Text(name)).Append("</dt><dd>").Append(Text(value)).Append("</dd></div>");

    public static string Time(DateTimeOffset? at)
        => at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture) : "—";

    /// <summary>Indented JSON for reading; text that does not parse is shown as it is.</summary>
    public static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, Indented))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
