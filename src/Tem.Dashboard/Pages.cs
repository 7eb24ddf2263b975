using System.Text;
using Microsoft.AspNetCore.Http;
using static Tem.Dashboard.PageLayout;

namespace Tem.Dashboard;

/// <summary>The overview, batch and not-found pages: a server-rendered frame that the page script fills from the live stream.</summary>
internal static class Pages
{
    public static Task OverviewAsync(HttpContext http, DashboardContext dashboard)
    {
        const string frame = """
            <section class="warning" id="unhandled" hidden></section>
            <section class="cards" id="cards"></section>
            <div class="grid">
              <section class="panel wide"><h2>Throughput <small>tasks per second since this dashboard started</small></h2><div id="chart" class="chart"></div></section>
              <section class="panel" id="pacing-panel"><h2>Rate limits &amp; pacing</h2><div id="pacing"><p class="muted">Not known: the dashboard is not running inside the worker's host.</p></div></section>
            </div>
            <section class="panel"><h2>Batches</h2><div class="scroll"><table id="batches" class="table">
              <thead><tr><th>Batch</th><th>Type</th><th>Status</th><th class="progress-col">Progress</th><th class="num">Pending</th><th class="num">Running</th><th class="num">Completed</th><th class="num">Failed</th><th class="num">Cancelled</th><th class="num">Refusals</th><th>Created</th><th class="num">Elapsed</th></tr></thead>
              <tbody><tr><td colspan="12" class="muted">Loading…</td></tr></tbody></table></div></section>
            <section class="panel" id="workers-panel"><h2>Workers <small>every worker the store knows of, on any machine</small></h2><div class="scroll"><table id="workers" class="table">
              <thead><tr><th>Machine</th><th class="num">PID</th><th>State</th><th class="num">Heartbeat</th><th class="num">In flight</th><th>Handles</th><th>Serves</th><th class="num">Up</th></tr></thead>
              <tbody><tr><td colspan="8" class="muted">No worker has written a heartbeat.</td></tr></tbody></table></div></section>
            """;
        // The sampler has read once before any page is served: the page script renders this before its first frame,
        // so the first paint shows the data, not "Loading…"; the stream takes over from there.
        var main = frame + InitialSnapshot(System.Text.Json.JsonSerializer.Serialize(new SnapshotBuilder(dashboard).Overview(), DashboardJson.Default.OverviewSnapshot));
        return WriteAsync(http, dashboard, 200, "overview", "Batches", main, dashboard.Url("/events"));
    }

    public static Task BatchAsync(HttpContext http, DashboardContext dashboard, Batch batch)
    {
        var main = new StringBuilder();
        main.Append("<nav class=\"crumbs\"><a href=\"").Append(Text(dashboard.Url("/"))).Append("\">Batches</a> / <span>").Append(Text(batch.Code)).Append("</span></nav>")
            .Append("<section class=\"title-row\"><div><h1 id=\"batch-code\">").Append(Text(batch.Code)).Append("</h1>")
            .Append("<p class=\"muted\">type <span id=\"batch-type\">").Append(Text(batch.Type)).Append("</span> · id ").Append(batch.Id)
            .Append(" · created <time data-ms=\"").Append(batch.CreatedAt.ToUnixTimeMilliseconds()).Append("\">")
            .Append(Text(batch.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture))).Append("</time></p></div>")
            .Append("<span id=\"batch-status\" class=\"badge ").Append(StatusText.Of(batch.Status)).Append("\">").Append(StatusText.Of(batch.Status)).Append("</span>");
        if (dashboard.CanWrite(http))
        {
            main.Append("<div class=\"actions\" id=\"actions\">");
            foreach (var action in SteeringAction.ForBatches)
            {
                main.Append(action.Button(dashboard.Url($"/batches/{batch.Id}/{action.Name}")));
            }

            main.Append("</div>");
        }

        main.Append("</section>").Append("""
            <section class="cards" id="cards"></section>
            <section class="panel"><div id="progress" class="progress big"></div><div id="legend" class="legend"></div></section>
            <div class="grid">
              <section class="panel wide"><h2>Throughput <small>tasks per second; refusals are provider 429s</small></h2><div id="chart" class="chart"></div></section>
              <section class="panel" id="pacing-panel"><h2>Rate limits &amp; pacing</h2><div id="pacing"><p class="muted">Not known: the dashboard is not running inside the worker's host.</p></div></section>
            </div>
            <section class="panel"><h2>Progress per task type</h2><div class="scroll"><table id="types" class="table">
              <thead><tr><th>Type</th><th class="progress-col">Progress</th><th class="num">Pending</th><th class="num">Running</th><th class="num">Completed</th><th class="num">Failed</th><th class="num">Cancelled</th><th class="num">Refusals</th></tr></thead><tbody></tbody></table></div></section>
            <div class="grid two">
              <section class="panel"><h2>Running <small id="running-note"></small></h2><div class="scroll"><table id="running" class="table">
                <thead><tr><th>Task</th><th>Type</th><th class="num">Attempt</th><th class="num">Age</th><th>Worker</th></tr></thead><tbody></tbody></table></div></section>
              <section class="panel"><h2>Interruptions</h2><div id="interruptions"></div></section>
            </div>
            <section class="panel"><h2>Failed tasks by error <small id="errors-note"></small></h2><div id="errors"></div></section>
            """);
        return WriteAsync(http, dashboard, 200, "batch", batch.Code, main.ToString(), dashboard.Url($"/events/batches/{batch.Id}"), batch.Id);
    }

    /// <summary>A data block the page script reads; System.Text.Json escapes &lt; and &gt;, so no value can close the element.</summary>
    public static string InitialSnapshot(string json) => "<script type=\"application/json\" id=\"initial-snapshot\">" + json + "</script>";

    public static Task NotFoundAsync(HttpContext http, DashboardContext dashboard, string what)
    {
        var main = $"<section class=\"panel notfound\"><h1>Not found</h1><p>{Text(what)}</p><p><a href=\"{Text(dashboard.Url("/"))}\">Back to the batches</a></p></section>";
        return WriteAsync(http, dashboard, StatusCodes.Status404NotFound, "notfound", "Not found", main);
    }
}
