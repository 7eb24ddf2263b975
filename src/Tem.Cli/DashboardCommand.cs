using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tem.Dashboard;

namespace Tem.Cli;

/// <summary>
/// <c>tem dashboard DB</c>: serves the web dashboard for a database until Ctrl+C. It listens on 127.0.0.1 unless told
/// otherwise; on any other address write actions are off unless TEM_DASHBOARD_PASSWORD is set, which then guards every page.
/// </summary>
internal static class DashboardCommand
{
    public const string PasswordVariable = "TEM_DASHBOARD_PASSWORD";

    public static Command Create(Argument<string> database)
    {
        var portOption = new Option<int>("--port") { Description = "The port to listen on (0 picks a free one).", DefaultValueFactory = _ => 5080 };
        var hostOption = new Option<string>("--host") { Description = "The address to listen on. Default 127.0.0.1; on another address write actions need " + PasswordVariable + ".", DefaultValueFactory = _ => "127.0.0.1" };
        var readOnlyOption = new Option<bool>("--read-only") { Description = "Serve no write actions." };
        var command = new Command("dashboard", "Serve a live web dashboard of the database's batches until Ctrl+C.") { database, portOption, hostOption, readOnlyOption };
        command.SetAction(async (parse, ct) =>
        {
            var port = parse.GetValue(portOption);
            if (port is < 0 or > 65535)
            {
                throw new CliException($"--port must be between 0 and 65535; got {port}.");
            }

            var host = parse.GetValue(hostOption)!;
            var address = host == "localhost" ? IPAddress.Loopback
                : IPAddress.TryParse(host, out var parsed) ? parsed
                : throw new CliException($"--host must be an IP address such as 127.0.0.1 or 0.0.0.0; got '{host}'.");
            var password = Environment.GetEnvironmentVariable(PasswordVariable);
            if (password is { Length: 0 })
            {
                password = null;
            }

            var loopback = IPAddress.IsLoopback(address);
            var readOnly = parse.GetValue(readOnlyOption) || (!loopback && password is null);

            // Read-only, the store opens the file read-only too: the dashboard then changes nothing in it.
            await using var tem = CliDatabase.Open(parse.GetValue(database)!, write: !readOnly);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
            await using var app = builder.Build();
            if (password is not null)
            {
                app.Use(RequirePassword(password));
            }

            app.MapTemDashboard("/", o =>
            {
                o.Engine = tem;
                o.ReadOnly = readOnly;
                // Every request that reaches the dashboard has passed the password check.
                o.AuthorizeWrite = password is null ? null : _ => true;
            });
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException ex)
            {
                throw new CliException($"cannot listen on {host}:{port}: {ex.Message} Pick another --port (0 picks a free one).");
            }

            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{host}:{port}";
            Console.WriteLine($"Tem dashboard for {tem.StoreDescription} on {bound}/ (Ctrl+C to stop)");
            if (readOnly && !parse.GetValue(readOnlyOption))
            {
                Console.WriteLine($"Write actions are off: {host} is not a loopback address. Set {PasswordVariable} to require a password and allow them.");
            }
            else if (password is not null)
            {
                Console.WriteLine($"Every page asks for the password in {PasswordVariable} (any user name).");
            }

            // Ctrl+C reaches either the command line's token or the web host's own console lifetime, whichever took the signal.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>HTTP Basic authentication against one password, compared in constant time; browsers prompt for it by themselves.</summary>
    private static Func<HttpContext, RequestDelegate, Task> RequirePassword(string password)
    {
        var expected = Encoding.UTF8.GetBytes(password);
        return (http, next) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                    var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                    if (colon >= 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(decoded[(colon + 1)..]), expected))
                    {
                        return next(http);
                    }
                }
                catch (FormatException)
                {
                    // Not base64: refused below like a wrong password.
                }
            }

            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"tem dashboard\", charset=\"UTF-8\"";
            return Task.CompletedTask;
        };
    }
}
