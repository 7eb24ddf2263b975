using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Tem.Dashboard;

/// <summary>
/// The frame every page shares, and the one way text gets into HTML here: <see cref="Text"/> encodes it. Payloads,
/// results, errors, codes and types come from users and models, so none is ever written raw.
/// </summary>
internal static class PageLayout
{
    // Scripts and styles come only from the dashboard's own assets: even a payload that slipped through unescaped could not run.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    // Every HTML-significant character is encoded; other Unicode text (names, accents, "·") stays readable in the source.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Text(string? value) => Encoder.Encode(value ?? "");

    /// <summary>
    /// The store in the header: a SQLite file by its name (the full path is the title), PostgreSQL by its server,
    /// database and schema — which hold a '/' that a file-name cut would take for a folder.
    /// </summary>
    public static string StoreLabel(string description) => Path.IsPathFullyQualified(description) ? Path.GetFileName(description) : description;

    public static async Task WriteAsync(HttpContext http, DashboardContext dashboard, int status, string page, string title, string main,
        string? stream = null, long? batchId = null)
    {
        var canWrite = dashboard.CanWrite(http);
        var html = new StringBuilder(4096);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Text(title)).Append(" · ").Append(Text(dashboard.Options.Title)).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Text(dashboard.Url("/assets/dashboard.css"))).Append("\">")
            .Append("<link rel=\"icon\" href=\"").Append(Text(dashboard.Url("/assets/favicon.svg"))).Append("\" type=\"image/svg+xml\">");
        if (canWrite)
        {
            html.Append("<meta name=\"tem-token\" content=\"").Append(dashboard.Token).Append("\">");
        }

        html.Append("</head><body data-page=\"").Append(page).Append("\" data-base=\"").Append(Text(dashboard.BasePath))
            .Append("\" data-can-write=\"").Append(canWrite ? "true" : "false").Append('"');
        if (stream is not null) html.Append(" data-stream=\"").Append(Text(stream)).Append('"');
        if (batchId is { } id) html.Append(" data-batch=\"").Append(id).Append('"');
        html.Append('>')
            .Append("<header class=\"top\"><a class=\"brand\" href=\"").Append(Text(dashboard.Url("/"))).Append("\"><span class=\"mark\">◆</span> ")
            .Append(Text(dashboard.Options.Title)).Append("</a>")
            .Append("<span class=\"db\" title=\"").Append(Text(dashboard.Engine.StoreDescription)).Append("\">").Append(Text(StoreLabel(dashboard.Engine.StoreDescription))).Append("</span>")
            .Append("<span class=\"spacer\"></span>");
        if (!canWrite)
        {
            html.Append("<span class=\"chip muted\" title=\"Write actions are served to loopback clients only, unless the host authorises them.\">read-only</span>");
        }

        if (stream is not null)
        {
            html.Append("<span id=\"live\" class=\"chip live off\">connecting…</span>");
        }

        html.Append("</header><main>").Append(main).Append("</main>")
            .Append("<dialog id=\"confirm\"><form method=\"dialog\"><h3 id=\"confirm-title\"></h3><p id=\"confirm-text\"></p>")
            .Append("<label id=\"confirm-reason-label\" hidden>Reason <input id=\"confirm-reason\" maxlength=\"500\" value=\"interrupted from the dashboard\"></label>")
            .Append("<div class=\"buttons\"><button value=\"cancel\" class=\"secondary\" id=\"confirm-no\">Keep as is</button>")
            .Append("<button value=\"ok\" class=\"danger\" id=\"confirm-yes\">Confirm</button></div></form></dialog>")
            .Append("<div id=\"toast\" role=\"status\" aria-live=\"polite\"></div>")
            .Append("<script src=\"").Append(Text(dashboard.Url("/assets/dashboard.js"))).Append("\" defer></script></body></html>");

        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        Secure(http.Response);
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(html.ToString(), http.RequestAborted).ConfigureAwait(false);
    }

    public static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
    }
}
