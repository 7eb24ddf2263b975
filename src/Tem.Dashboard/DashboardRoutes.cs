using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Tem.Dashboard;

/// <summary>The dashboard's request handlers: pages, JSON snapshots, event streams and write actions.</summary>
internal sealed class DashboardRoutes(DashboardContext dashboard)
{
    public async Task OverviewAsync(HttpContext http)
    {
        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        await Pages.OverviewAsync(http, dashboard).ConfigureAwait(false);
    }

    public async Task BatchPageAsync(HttpContext http)
    {
        var id = Id(http);
        var batch = await FindBatchAsync(id, http.RequestAborted).ConfigureAwait(false);
        if (batch is null)
        {
            await Pages.NotFoundAsync(http, dashboard, $"No batch has id {id} in this database.").ConfigureAwait(false);
            return;
        }

        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        await Pages.BatchAsync(http, dashboard, batch).ConfigureAwait(false);
    }

    public async Task TaskPageAsync(HttpContext http)
    {
        var id = Id(http);
        TemTask task;
        try
        {
            task = await dashboard.Engine.Tasks.GetAsync(id, http.RequestAborted).ConfigureAwait(false);
        }
        catch (TaskNotFoundException)
        {
            await Pages.NotFoundAsync(http, dashboard, $"No task has id {id} in this database.").ConfigureAwait(false);
            return;
        }

        var batch = await FindBatchAsync(task.BatchId, http.RequestAborted).ConfigureAwait(false);
        var attempts = await dashboard.Engine.Tasks.GetAttemptsAsync(id, http.RequestAborted).ConfigureAwait(false);
        await TaskPage.WriteAsync(http, dashboard, task, batch, attempts).ConfigureAwait(false);
    }

    public async Task AssetAsync(HttpContext http)
    {
        if (!await EmbeddedAssets.TryServeAsync(http, http.Request.RouteValues["name"] as string).ConfigureAwait(false))
        {
            await NotFoundAsync(http).ConfigureAwait(false);
        }
    }

    public async Task OverviewJsonAsync(HttpContext http)
    {
        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        await JsonAsync(http, 200, new SnapshotBuilder(dashboard).Overview(), DashboardJson.Default.OverviewSnapshot).ConfigureAwait(false);
    }

    public async Task BatchJsonAsync(HttpContext http)
    {
        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        var id = Id(http);
        var snapshot = await new SnapshotBuilder(dashboard).BatchAsync(id, http.RequestAborted).ConfigureAwait(false);
        if (snapshot is null)
        {
            await JsonAsync(http, 404, new ProblemResult($"No batch has id {id} in this database."), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
            return;
        }

        await JsonAsync(http, 200, snapshot, DashboardJson.Default.BatchSnapshot).ConfigureAwait(false);
    }

    public async Task OverviewEventsAsync(HttpContext http)
    {
        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        var builder = new SnapshotBuilder(dashboard);
        await EventStream.RunAsync(http, dashboard, _ => Task.FromResult<OverviewSnapshot?>(builder.Overview()), DashboardJson.Default.OverviewSnapshot).ConfigureAwait(false);
    }

    public async Task BatchEventsAsync(HttpContext http)
    {
        var id = Id(http);
        if (await FindBatchAsync(id, http.RequestAborted).ConfigureAwait(false) is null)
        {
            await JsonAsync(http, 404, new ProblemResult($"No batch has id {id} in this database."), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
            return;
        }

        await dashboard.Sampler.EnsureStartedAsync().ConfigureAwait(false);
        var builder = new SnapshotBuilder(dashboard);
        await EventStream.RunAsync(http, dashboard, ct => builder.BatchAsync(id, ct), DashboardJson.Default.BatchSnapshot).ConfigureAwait(false);
    }

    public async Task SteerBatchAsync(HttpContext http)
    {
        var id = Id(http);
        var action = SteeringAction.Find(SteeringAction.ForBatches, http.Request.RouteValues["action"] as string);
        if (await RefuseAsync(http, action).ConfigureAwait(false))
        {
            return;
        }

        if (await FindBatchAsync(id, http.RequestAborted).ConfigureAwait(false) is null)
        {
            await JsonAsync(http, 404, new ProblemResult($"No batch has id {id} in this database."), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
            return;
        }

        try
        {
            var message = await action!.Run(dashboard.Engine, id, await FormAsync(http).ConfigureAwait(false), http.RequestAborted).ConfigureAwait(false);
            await JsonAsync(http, 200, new ActionResult(message), DashboardJson.Default.ActionResult).ConfigureAwait(false);
        }
        catch (BatchNotActiveException ex)
        {
            await JsonAsync(http, 409, new ProblemResult(ex.Message), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
        }
    }

    public async Task SteerTaskAsync(HttpContext http)
    {
        var action = SteeringAction.Find(SteeringAction.ForTasks, http.Request.RouteValues["action"] as string);
        if (await RefuseAsync(http, action).ConfigureAwait(false))
        {
            return;
        }

        var id = Id(http);
        try
        {
            var message = await action!.Run(dashboard.Engine, id, await FormAsync(http).ConfigureAwait(false), http.RequestAborted).ConfigureAwait(false);
            await JsonAsync(http, 200, new ActionResult(message), DashboardJson.Default.ActionResult).ConfigureAwait(false);
        }
        catch (TaskNotFoundException)
        {
            await JsonAsync(http, 404, new ProblemResult($"No task has id {id} in this database."), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
        }
        catch (BatchNotActiveException ex)
        {
            await JsonAsync(http, 409, new ProblemResult(ex.Message), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
        }
    }

    public Task NotFoundAsync(HttpContext http)
        => HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
            ? Pages.NotFoundAsync(http, dashboard, $"The dashboard has no page at {http.Request.PathBase.Value}{http.Request.Path.Value}.")
            : JsonAsync(http, 404, new ProblemResult($"The dashboard has no action at {http.Request.PathBase.Value}{http.Request.Path.Value}."), DashboardJson.Default.ProblemResult);

    /// <summary>Answers and returns true when the write must not happen: unknown action, read-only, not allowed for this client, or no valid token.</summary>
    private async Task<bool> RefuseAsync(HttpContext http, SteeringAction? action)
    {
        (int Status, string Error)? refusal = null;
        if (action is null)
        {
            refusal = (404, $"The dashboard has no action at {http.Request.PathBase.Value}{http.Request.Path.Value}.");
        }
        else if (dashboard.Options.ReadOnly)
        {
            refusal = (403, "This dashboard is read-only (TemDashboardOptions.ReadOnly).");
        }
        else if (!dashboard.CanWrite(http))
        {
            refusal = (403, "Write actions are served to loopback clients only; the host must authorise others with TemDashboardOptions.AuthorizeWrite.");
        }
        else if (!dashboard.HasValidToken(await TokenAsync(http).ConfigureAwait(false)))
        {
            refusal = (403, "The request lacks this dashboard's token (X-Tem-Token header or token form field); reload the page and try again.");
        }

        if (refusal is { } r)
        {
            await JsonAsync(http, r.Status, new ProblemResult(r.Error), DashboardJson.Default.ProblemResult).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private static async Task<string?> TokenAsync(HttpContext http)
    {
        if (http.Request.Headers["X-Tem-Token"] is { Count: > 0 } header)
        {
            return header.ToString();
        }

        return http.Request.HasFormContentType ? (await FormAsync(http).ConfigureAwait(false))["token"].ToString() : null;
    }

    private static async Task<IFormCollection> FormAsync(HttpContext http)
        => http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false) : FormCollection.Empty;

    private async Task<Batch?> FindBatchAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            return await dashboard.Engine.Batches.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (BatchNotFoundException)
        {
            return null;
        }
    }

    private static long Id(HttpContext http) => long.Parse((string)http.Request.RouteValues["id"]!, CultureInfo.InvariantCulture);

    private static async Task JsonAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> type)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        PageLayout.Secure(http.Response);
        await JsonSerializer.SerializeAsync(http.Response.Body, value, type, http.RequestAborted).ConfigureAwait(false);
    }
}
