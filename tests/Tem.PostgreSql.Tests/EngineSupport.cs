using System.Text.Json.Serialization;

namespace Tem.PostgreSql.Tests;

public sealed record Job(int N);

public sealed record JobResult(int N);

[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(JobResult))]
internal sealed partial class PgTestJson : JsonSerializerContext;

/// <summary>Engines on one test schema, and the task type they run.</summary>
internal static class Engines
{
    public static readonly TaskType<Job, JobResult> Type = new("job", PgTestJson.Default.Job, PgTestJson.Default.JobResult);

    /// <summary>
    /// Options on <paramref name="schema"/>. A long poll interval by default: anything faster than it came through
    /// LISTEN/NOTIFY, not through polling.
    /// </summary>
    public static TemOptions Options(string schema, TimeSpan? poll = null, Action<TemOptions>? configure = null)
    {
        var options = new TemOptions
        {
            Concurrency = 8,
            PollInterval = poll ?? TimeSpan.FromSeconds(30),
            LeaseDuration = TimeSpan.FromSeconds(30),
            Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        }.UsePostgres(PostgresServer.ConnectionString, schema);
        configure?.Invoke(options);
        return options;
    }

    public static Task<TemEngine> OpenAsync(string schema, Func<Job, TaskContext, CancellationToken, ValueTask<JobResult>>? handler = null, TimeSpan? poll = null)
        => OpenAsync(Options(schema, poll), handler);

    public static async Task<TemEngine> OpenAsync(TemOptions options, Func<Job, TaskContext, CancellationToken, ValueTask<JobResult>>? handler)
    {
        var registry = handler is null ? null : TemHandlerRegistry.Create(w => w.Register(Type, (p, c, t) => handler(p, c, t)));
        var engine = await TemEngine.OpenAsync(options, registry);
        if (Store(engine)?.Notifications is { } listener)
        {
            // The first LISTEN is in place before a test measures a wake-up.
            await listener.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        }

        return engine;
    }

    /// <summary>The engine's PostgreSQL store (the engine keeps it private; tests look).</summary>
    public static Storage.Postgres.PostgresTemStore? Store(TemEngine engine)
        => typeof(TemEngine).GetField("_store", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(engine) as Storage.Postgres.PostgresTemStore;

    public static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
