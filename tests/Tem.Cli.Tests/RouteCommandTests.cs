using Xunit;

namespace Tem.Cli.Tests;

/// <summary><c>tem route</c> against a real file: shows a batch's LLM route and moves it (issue 24).</summary>
public sealed class RouteCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tem-cli-route-").FullName;

    private string DbPath => Path.Combine(_folder, "tem.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Route_shows_the_route_moves_it_and_refuses_an_unknown_one()
    {
        await using (var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath }))
        {
            await tem.Batches.CreateAsync("nightly", "rewrite");
        }

        var (exit, text, _) = await CliTests.Tem("route", DbPath, "nightly");
        Assert.Equal(0, exit);
        Assert.Equal("nightly: route live, provider batches 0", text.Trim());

        (exit, text, _) = await CliTests.Tem("route", DbPath, "nightly", "batch");
        Assert.Equal(0, exit);
        Assert.Equal("nightly: route batch; tasks already in a provider batch finish there.", text.Trim());
        await using (var tem = TemEngine.Open(new TemOptions { DatabasePath = DbPath }))
        {
            Assert.Equal(LlmRoute.ProviderBatch, await tem.Batches.GetRouteAsync((await tem.Batches.GetByCodeAsync("nightly"))!.Id));
        }

        (exit, _, var error) = await CliTests.Tem("route", DbPath, "nightly", "sideways");
        Assert.NotEqual(0, exit);
        Assert.Contains("sideways", error, StringComparison.Ordinal);
    }
}
