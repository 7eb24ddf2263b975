using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tem.Dashboard.Tests;

public sealed record Doc(int N, string Text);

public sealed record Done(string Text);

[JsonSerializable(typeof(Doc))]
[JsonSerializable(typeof(Done))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>
/// A real engine on a SQLite file in a temp folder, and the dashboard mounted at /tem in a slim ASP.NET Core app
/// listening on a real port. Documents whose text starts with "fail" fail on their first run and succeed after a retry.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    public const string HostileText = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";

    public static readonly TaskType<Doc, Done> DocType = new("doc", TestJson.Default.Doc, TestJson.Default.Done, maxAttempts: 1);

    private readonly string _folder = Directory.CreateTempSubdirectory("tem-dashboard-").FullName;
    private readonly ConcurrentDictionary<int, bool> _failedOnce = new();
    private WebApplication? _app;

    private DashboardHost()
    {
    }

    public TemEngine Engine { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string DatabasePath => Path.Combine(_folder, "tem.db");

    /// <summary>How long each handler run takes.</summary>
    public TimeSpan HandlerDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Documents with a greater number wait until a browser opens a batch page's event stream, so that a slow
    /// machine cannot finish the run before the page is there to watch it.</summary>
    public int? HoldAfter { get; init; }

    /// <summary>Set when the first batch-page event stream is requested.</summary>
    public TaskCompletionSource BatchPageOpened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public static async Task<DashboardHost> StartAsync(Action<TemDashboardOptions>? configure = null, IPAddress? listen = null,
        TimeSpan? handlerDelay = null, int concurrency = 4, int? holdAfter = null)
    {
        var host = new DashboardHost { HandlerDelay = handlerDelay ?? TimeSpan.Zero, HoldAfter = holdAfter };
        host.Engine = TemEngine.Open(new TemOptions
        {
            DatabasePath = host.DatabasePath,
            Concurrency = concurrency,
            PollInterval = TimeSpan.FromMilliseconds(50),
        }, TemHandlerRegistry.Create(w => w.Register(DocType, host.RunAsync)));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen ?? IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/tem/events/batches", StringComparison.Ordinal))
            {
                host.BatchPageOpened.TrySetResult();
            }

            return next(http);
        });
        app.MapTemDashboard("/tem", o =>
        {
            o.Engine = host.Engine;
            o.UpdateInterval = TimeSpan.FromMilliseconds(200);
            o.RateLimit = new RateLimitOptions { PerSecond = 50, PerMinute = 2000 };
            o.Concurrency = concurrency;
            configure?.Invoke(o);
        });
        await app.StartAsync();
        host._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseAddress = new Uri(address.Replace("0.0.0.0", (listen ?? IPAddress.Loopback).ToString(), StringComparison.Ordinal) + "/");
        return host;
    }

    /// <summary>A batch with <paramref name="count"/> documents; those in <paramref name="failing"/> fail on their first run.</summary>
    public async Task<Batch> SeedAsync(string code, int count, ISet<int>? failing = null, Func<int, string>? text = null)
    {
        var batch = await Engine.Batches.CreateAsync(code, "test-run");
        await Engine.Tasks.EnqueueManyAsync(batch.Id, DocType, Enumerable.Range(1, count)
            .Select(i => new Doc(i, (failing?.Contains(i) == true ? "fail " : "") + (text?.Invoke(i) ?? $"document {i}"))));
        return batch;
    }

    public async Task<BatchStats> RunToEndAsync(long batchId)
    {
        await Engine.Worker.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Engine.WaitForBatchAsync(batchId, timeout.Token);
    }

    private async ValueTask<Done> RunAsync(Doc doc, TaskContext context, CancellationToken ct)
    {
        if (doc.N > HoldAfter)
        {
            await BatchPageOpened.Task.WaitAsync(ct);
        }

        if (HandlerDelay > TimeSpan.Zero)
        {
            await Task.Delay(HandlerDelay, ct);
        }

        if (doc.Text.StartsWith("fail", StringComparison.Ordinal) && _failedOnce.TryAdd(doc.N, true))
        {
            throw new NonRetryableException($"Document {doc.N} could not be read: {doc.Text}");
        }

        return new Done($"rewritten {doc.N}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Engine.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A browser test's screenshots or a lingering handle; the temp folder is cleaned by the OS.
        }
    }
}
