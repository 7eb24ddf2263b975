using Microsoft.AspNetCore.Http;

namespace Tem.Dashboard;

/// <summary>How <see cref="TemDashboardEndpoints.MapTemDashboard"/> serves the dashboard.</summary>
public sealed class TemDashboardOptions
{
    /// <summary>The engine to show. Default: the <see cref="TemEngine"/> registered in the host's services (<c>AddTem</c>).</summary>
    public TemEngine? Engine { get; set; }

    /// <summary>Hides and refuses every write action (retry failed, resume, cancel, interrupt). Default false.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Decides whether a request that does not come from a loopback address may use write actions. Default null:
    /// write actions are served to loopback clients only. Set it (for example to check an authenticated user's role)
    /// to expose them on other addresses; the per-process token is checked on every write either way.
    /// </summary>
    public Func<HttpContext, bool>? AuthorizeWrite { get; set; }

    /// <summary>The rate limits to show as in force. Default: those of the <see cref="TemOptions"/> in the host's services, if any.</summary>
    public RateLimitOptions? RateLimit { get; set; }

    /// <summary>The concurrency bound to show. Default: that of the <see cref="TemOptions"/> in the host's services, if any.</summary>
    public int? Concurrency { get; set; }

    /// <summary>How often the dashboard reads the database and pushes changes to open pages. Default 1 s; at least 100 ms.</summary>
    public TimeSpan UpdateInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many samples of throughput history each chart keeps. Default 300 (five minutes at the default interval).</summary>
    public int HistoryLength { get; set; } = 300;

    /// <summary>The page title. Default "Tem".</summary>
    public string Title { get; set; } = "Tem";

    internal void Validate()
    {
        if (UpdateInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new TemConfigurationException($"TemDashboardOptions.UpdateInterval must be at least 100 ms; got {UpdateInterval.TotalMilliseconds} ms.");
        }

        if (HistoryLength is < 2 or > 100_000)
        {
            throw new TemConfigurationException($"TemDashboardOptions.HistoryLength must be between 2 and 100,000 samples; got {HistoryLength}.");
        }

        if (string.IsNullOrWhiteSpace(Title))
        {
            throw new TemConfigurationException("TemDashboardOptions.Title must not be empty.");
        }
    }
}
