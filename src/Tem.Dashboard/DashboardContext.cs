using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tem.Dashboard;

/// <summary>One mounted dashboard: its options, engine, sampler and the per-process secret that write actions must carry.</summary>
internal sealed class DashboardContext
{
    private readonly Lazy<TemEngine> _engine;
    private readonly Lazy<PacingRow?> _pacing;

    public DashboardContext(TemDashboardOptions options, IServiceProvider services, string basePath, CancellationToken stopping)
    {
        Options = options;
        BasePath = basePath;
        // The host's engine opens on first use (AddTem); resolving it here, not at mapping time, keeps that promise.
        _engine = new Lazy<TemEngine>(() => options.Engine ?? services.GetService<TemEngine>()
            ?? throw new TemConfigurationException(NoEngine));
        _pacing = new Lazy<PacingRow?>(() => Dashboard.Pacing.Describe(options, services.GetService<TemOptions>()));
        Sampler = new DashboardSampler(() => _engine.Value, options.UpdateInterval, options.HistoryLength, stopping);
        Token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        Stopping = stopping;
    }

    public const string NoEngine = "MapTemDashboard found no TemEngine: register one with services.AddTem(...) or set TemDashboardOptions.Engine.";

    public TemDashboardOptions Options { get; }

    public TemEngine Engine => _engine.Value;

    /// <summary>The path the dashboard is mounted at, without a trailing slash ("" at the root).</summary>
    public string BasePath { get; }

    public DashboardSampler Sampler { get; }

    /// <summary>Random per process: a page served by this process carries it; a forged cross-site request cannot.</summary>
    public string Token { get; }

    public CancellationToken Stopping { get; }

    public PacingRow? Pacing => _pacing.Value;

    /// <summary>The worker's live state when it runs in this process (a host app), else null.</summary>
    public WorkerRow? Worker
    {
        get
        {
            var worker = Engine.Worker;
            return worker.IsRunning
                ? new WorkerRow(true, worker.InFlight, worker.EffectiveConcurrency, worker.Owner, [.. worker.TaskTypes.Order(StringComparer.Ordinal)])
                : null;
        }
    }

    /// <summary>Whether this request may see and use write actions: never when read-only; from loopback, or when the host's rule allows it.</summary>
    public bool CanWrite(HttpContext context)
    {
        if (Options.ReadOnly)
        {
            return false;
        }

        var remote = context.Connection.RemoteIpAddress;
        return (remote is not null && IPAddress.IsLoopback(remote)) || Options.AuthorizeWrite?.Invoke(context) == true;
    }

    public bool HasValidToken(string? presented)
        => presented is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(Token));

    public string Url(string relative) => BasePath + relative;
}
