using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Tem.Hosting;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>The dashboard as the README mounts it: AddTem in a slim web app, MapTemDashboard with no options.</summary>
public sealed class HostedTests
{
    [Fact]
    public async Task Mounted_in_a_host_it_takes_the_engine_and_its_rate_limits_from_AddTem()
    {
        var folder = Directory.CreateTempSubdirectory("tem-dashboard-hosted-").FullName;
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            builder.Services.AddTem(o =>
            {
                o.DatabasePath = Path.Combine(folder, "tem.db");
                o.Concurrency = 3;
                o.AdaptiveConcurrency = true;
                o.RateLimit = new RateLimitOptions { PerMinute = 120, TokensPerMinute = 40_000 };
            }, _ => TemHandlerRegistry.Create(w => w.Register(DashboardHost.DocType, (doc, _, _) => ValueTask.FromResult(new Done($"ok {doc.N}")))));
            await using (var app = builder.Build())
            {
                app.MapTemDashboard();
                await app.StartAsync();
                using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/") };
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("tem/")).StatusCode);
                var json = await PageTests.WaitForAsync(http, "tem/api/overview", s => s.Contains("\"worker\":{", StringComparison.Ordinal));
                using var document = JsonDocument.Parse(json);
                var pacing = document.RootElement.GetProperty("pacing");
                Assert.Equal(3, pacing.GetProperty("concurrency").GetInt32());
                Assert.True(pacing.GetProperty("adaptive").GetBoolean());
                Assert.Equal(120, pacing.GetProperty("requests")[0].GetProperty("permits").GetInt64());
                Assert.Equal(60, pacing.GetProperty("requests")[0].GetProperty("seconds").GetDouble());
                Assert.Equal(40_000, pacing.GetProperty("tokens")[0].GetProperty("permits").GetInt64());
                Assert.Equal(["doc"], document.RootElement.GetProperty("worker").GetProperty("taskTypes").EnumerateArray().Select(t => t.GetString()));
                await app.StopAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
