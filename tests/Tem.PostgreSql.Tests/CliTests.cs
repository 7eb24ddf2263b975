using System.Diagnostics;
using Xunit;

namespace Tem.PostgreSql.Tests;

/// <summary>The <c>tem</c> command, given a connection string where it takes a file path.</summary>
public sealed class CliTests : SchemaTest
{
    [Fact]
    public async Task Batches_and_cancel_work_on_a_connection_string_with_a_schema()
    {
        await using (var tem = await Engines.OpenAsync(Schema))
        {
            var batch = await tem.Batches.CreateAsync("nightly", "test");
            await tem.Tasks.EnqueueManyAsync(batch.Id, Engines.Type, Enumerable.Range(0, 5).Select(i => new Job(i)));
        }

        var database = $"{PostgresServer.ConnectionString};Schema={Schema}";
        var (code, stdout, stderr) = await RunAsync("batches", database);
        Assert.True(code == 0, stderr);
        Assert.Contains("nightly", stdout);
        Assert.Contains("5", stdout);

        (code, stdout, stderr) = await RunAsync("cancel", database, "nightly");
        Assert.True(code == 0, stderr);
        Assert.Contains("5 tasks cancelled", stdout);

        (code, _, stderr) = await RunAsync("batches", $"{PostgresServer.ConnectionString};Schema=t_no_such_schema");
        Assert.Equal(1, code);
        Assert.Contains("holds no Tem schema", stderr);
        Assert.Equal(0L, await PostgresServer.ScalarAsync("SELECT COUNT(*) FROM pg_namespace WHERE nspname = 't_no_such_schema';")); // a read creates nothing
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var dir = AppContext.BaseDirectory.Replace(
            $"{Path.DirectorySeparatorChar}tests{Path.DirectorySeparatorChar}Tem.PostgreSql.Tests{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}src{Path.DirectorySeparatorChar}Tem.Cli{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        var dll = Path.Combine(dir, "tem.dll");
        Assert.True(File.Exists(dll), $"The tem command is not built at '{dll}'.");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(Engines.Timeout());
        return (process.ExitCode, await stdout, await stderr);
    }
}
