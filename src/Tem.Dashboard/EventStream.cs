using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tem.Dashboard;

/// <summary>
/// Server-sent events: after each sampler tick, one <c>snapshot</c> event with the page's whole state — sent only when
/// it changed, with a comment line every 15 s so proxies keep the connection. The page reconnects by itself.
/// </summary>
internal static class EventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task RunAsync<T>(HttpContext http, DashboardContext dashboard, Func<CancellationToken, Task<T?>> snapshot, JsonTypeInfo<T> type)
        where T : class
    {
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, dashboard.Stopping);
        var ct = aborted.Token;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await http.Response.WriteAsync("retry: 2000\n\n", ct).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);

        string? last = null;
        var lastSent = DateTime.UtcNow;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var next = dashboard.Sampler.NextTick;
                var value = await snapshot(ct).ConfigureAwait(false);
                if (value is null)
                {
                    await http.Response.WriteAsync("event: gone\ndata: {}\n\n", ct).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    return;
                }

                var json = JsonSerializer.Serialize(value, type);
                // The time alone changes on every tick; send when anything else did, or to keep the line alive.
                var comparable = StripNow(json);
                if (comparable != last || DateTime.UtcNow - lastSent > KeepAlive)
                {
                    await http.Response.WriteAsync(new StringBuilder("event: snapshot\ndata: ").Append(json).Append("\n\n").ToString(), ct).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    last = comparable;
                    lastSent = DateTime.UtcNow;
                }

                await next.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away or the host is stopping.
        }
    }

    private static string StripNow(string json)
    {
        // Every snapshot starts with {"now":<ms>, — drop it so two snapshots that differ only in time compare equal.
        var comma = json.IndexOf(',', StringComparison.Ordinal);
        return comma < 0 ? json : json[comma..];
    }
}
