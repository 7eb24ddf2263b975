namespace Tem.Dashboard;

/// <summary>The rate limits and concurrency the page shows as in force, from the dashboard's options or the host's engine options.</summary>
internal static class Pacing
{
    public static PacingRow? Describe(TemDashboardOptions options, TemOptions? engineOptions)
    {
        var limits = options.RateLimit ?? engineOptions?.RateLimit;
        var concurrency = options.Concurrency ?? engineOptions?.Concurrency;
        if (limits is null && concurrency is null)
        {
            return null;
        }

        var requests = new List<WindowRow>();
        var tokens = new List<WindowRow>();
        if (limits is not null)
        {
            if (limits.PerSecond is { } perSecond) requests.Add(new WindowRow(perSecond, 1));
            if (limits.PerMinute is { } perMinute) requests.Add(new WindowRow(perMinute, 60));
            foreach (var w in limits.Windows) requests.Add(new WindowRow(w.Permits, w.Window.TotalSeconds));
            if (limits.TokensPerMinute is { } tokensPerMinute) tokens.Add(new WindowRow(tokensPerMinute, 60));
            foreach (var w in limits.TokenWindows) tokens.Add(new WindowRow(w.Permits, w.Window.TotalSeconds));
        }

        return new PacingRow(concurrency, engineOptions?.AdaptiveConcurrency, [.. requests], [.. tokens]);
    }
}
