using System.Diagnostics;
using Npgsql;
using Tem.Storage;

namespace Tem;

/// <summary>What the PostgreSQL scenarios share: options, the no-op task type, the floor loop, child processes.</summary>
internal static class Bench
{
    public static readonly TaskType<NoopPayload> Noop = new("noop", BenchJson.Default.NoopPayload);

    public static readonly ITemHandlerRegistry Registry = TemHandlerRegistry.Create(w => w.Register(Noop, (_, _, _) => ValueTask.CompletedTask));

    public static string NewSchema() => "bench_" + Guid.NewGuid().ToString("N")[..12];

    public static TemOptions Options(string connection, string schema, TimeSpan? poll = null)
        => new TemOptions { Concurrency = 64, PollInterval = poll ?? TimeSpan.FromMilliseconds(200) }.UsePostgres(connection, schema);

    /// <summary>The floor: the store's claim and completion statements, 64 at a time, until nothing is left.</summary>
    public static async Task<long> FloorLoopAsync(ITemStore store, string owner)
    {
        long done = 0;
        var none = CancellationToken.None;
        while (true)
        {
            var claimed = await store.ClaimAsync(owner, ["noop"], default, 64, TimeSpan.FromMinutes(1), none);
            if (claimed.Count == 0)
            {
                return done;
            }

            await store.ApplyOutcomesAsync(claimed.Select(c => new TaskOutcome(c.Id, c.BatchId, c.Version, OutcomeKind.Completed, null, null, TimeSpan.Zero)).ToList(), none);
            done += claimed.Count;
        }
    }

    /// <summary>
    /// Starts <paramref name="count"/> children, waits until each has warmed up and said "ready", then times
    /// <paramref name="release"/> (which makes the measured work claimable) and the children's work to their exit. Seconds.
    /// </summary>
    public static async Task<double> RunChildrenAsync(int count, Func<Task> release, params string[] args)
    {
        var children = Enumerable.Range(0, count).Select(_ =>
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                info.ArgumentList.Add(typeof(Bench).Assembly.Location);
            }

            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            return Process.Start(info)!;
        }).ToList();
        foreach (var child in children)
        {
            if (await child.StandardOutput.ReadLineAsync() != "ready")
            {
                await child.WaitForExitAsync();
                throw new InvalidOperationException($"A {args[0]} process exited {child.ExitCode} before it was ready.");
            }
        }

        var watch = Stopwatch.StartNew();
        await release();
        foreach (var child in children)
        {
            await child.StandardInput.WriteLineAsync("go");
            await child.StandardInput.FlushAsync();
        }

        foreach (var child in children)
        {
            await child.WaitForExitAsync();
            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"A {args[0]} process exited {child.ExitCode}.");
            }
        }

        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>A child's side of <see cref="RunChildrenAsync"/>: says it is ready and waits for the parent's go.</summary>
    public static async Task ReadyThenWaitForGoAsync()
    {
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        if (await Console.In.ReadLineAsync() != "go")
        {
            throw new InvalidOperationException("The parent closed the child's input before saying go.");
        }
    }

    public static async Task<string> ServerVersionAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        return c.PostgreSqlVersion + " at " + c.Host + ":" + c.Port;
    }

    /// <summary>Drops a scenario's schema, unless TEM_BENCH_KEEP=1 keeps it for a look at its rows (claim and group sizes).</summary>
    public static async Task DropAsync(string connection, string schema)
    {
        if (Environment.GetEnvironmentVariable("TEM_BENCH_KEEP") == "1")
        {
            Console.WriteLine($"   kept schema {schema}");
            return;
        }

        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE;", c);
        await command.ExecuteNonQueryAsync();
    }
}
