using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Tem.Cli;

/// <summary><c>tem probe URL</c>: finds an endpoint's rate and concurrency limits with a bounded number of requests.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "The endpoint to probe, such as https://api.example.com/v1/chat/completions." };
        var headers = new Option<string[]>("--header", "-H") { Description = "A request header as 'Name: value' (repeatable), such as an API key.", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        var budget = new Option<int>("--budget") { Description = "Most requests to send, refused ones included.", DefaultValueFactory = _ => 100 };
        var body = new Option<string>("--body") { Description = "The JSON body of each probe request; keep it cheap.", DefaultValueFactory = _ => "{\"max_tokens\":1}" };
        var method = new Option<string>("--method") { Description = "The HTTP method.", DefaultValueFactory = _ => "POST" };
        var maxConcurrency = new Option<int>("--max-concurrency") { Description = "The largest burst of simultaneous requests to try.", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var command = new Command("probe", "Find an endpoint's rate and concurrency limits: read its limit headers, probe only what they do not say, never exceed the budget.")
        {
            url, headers, budget, body, method, maxConcurrency, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                throw new CliException($"'{parse.GetValue(url)}' is not an http or https URL.");
            }

            var parsedHeaders = (parse.GetValue(headers) ?? []).Select(ParseHeader).ToArray();
            var httpMethod = HttpMethod.Parse(parse.GetValue(method));
            var content = parse.GetValue(body)!;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var probe = new ProviderLimitProbe(http, () =>
            {
                var request = new HttpRequestMessage(httpMethod, address);
                if (httpMethod != HttpMethod.Get && httpMethod != HttpMethod.Head)
                {
                    request.Content = new StringContent(content, Encoding.UTF8, "application/json");
                }

                foreach (var (name, value) in parsedHeaders)
                {
                    if (!request.Headers.TryAddWithoutValidation(name, value))
                    {
                        request.Content?.Headers.TryAddWithoutValidation(name, value);
                    }
                }

                return request;
            })
            {
                Budget = parse.GetValue(budget),
                MaxConcurrency = parse.GetValue(maxConcurrency),
            };
            var found = await probe.ProbeAsync(ct);
            if (parse.GetValue(json))
            {
                WriteJson(found);
            }
            else
            {
                WriteText(address, found);
            }

            return 0;
        });
        return command;
    }

    private static (string Name, string Value) ParseHeader(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new CliException($"--header '{text}' is not 'Name: value'; write it like --header 'Authorization: Bearer sk-...'.");
        }

        return (text[..colon].Trim(), text[(colon + 1)..].Trim());
    }

    private static void WriteText(Uri address, DiscoveredLimits found)
    {
        var o = Console.Out;
        o.WriteLine($"Probed {address} with {found.RequestsUsed} requests.");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  rate limits   {(found.Advertised ? "advertised by the provider" : found.RequestsPerSecond is null ? "not found" : "measured")}"));
        if (found.RequestsPerSecond is { } rps)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  requests      {rps:0.##}/s ({rps * 60:0}/min)"));
        }

        if (found.TokensPerSecond is { } tps)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  tokens        {tps:0.##}/s ({tps * 60:0}/min)"));
        }

        o.WriteLine($"  concurrency   {(found.Concurrency is { } c ? c.ToString(CultureInfo.InvariantCulture) : "no limit found")}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  confidence    {found.Confidence:0.00}"));
        foreach (var note in found.Notes)
        {
            o.WriteLine($"  - {note}");
        }

        o.WriteLine();
        o.WriteLine("Suggested options:");
        if (found.Concurrency is { } concurrency)
        {
            o.WriteLine($"  Concurrency = {concurrency},");
        }

        o.WriteLine($"  RateLimit = {Describe(found.RateLimit)},");
    }

    private static string Describe(RateLimitOptions options)
    {
        var parts = new List<string>();
        if (options.PerSecond is { } s) parts.Add($"PerSecond = {s}");
        if (options.PerMinute is { } m) parts.Add($"PerMinute = {m}");
        if (options.Windows.Count > 0) parts.Add("Windows = { " + string.Join(", ", options.Windows.Select(Window)) + " }");
        if (options.TokensPerMinute is { } t) parts.Add($"TokensPerMinute = {t}");
        if (options.TokenWindows.Count > 0) parts.Add("TokenWindows = { " + string.Join(", ", options.TokenWindows.Select(Window)) + " }");
        return parts.Count == 0 ? "null" : "new RateLimitOptions { " + string.Join(", ", parts) + " }";
    }

    private static string Window(RateLimitWindow w)
        => string.Create(CultureInfo.InvariantCulture, $"new RateLimitWindow({w.Permits}, TimeSpan.FromSeconds({w.Window.TotalSeconds:0.###}))");

    private static void WriteJson(DiscoveredLimits found) => JsonOutput.Write(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("advertised", found.Advertised);
        if (found.RequestsPerSecond is { } rps) w.WriteNumber("requestsPerSecond", Math.Round(rps, 3));
        if (found.TokensPerSecond is { } tps) w.WriteNumber("tokensPerSecond", Math.Round(tps, 3));
        if (found.Concurrency is { } c) w.WriteNumber("concurrency", c);
        w.WriteNumber("confidence", Math.Round(found.Confidence, 2));
        w.WriteNumber("requestsUsed", found.RequestsUsed);
        w.WriteStartObject("rateLimit");
        if (found.RateLimit.PerSecond is { } s) w.WriteNumber("perSecond", s);
        if (found.RateLimit.PerMinute is { } m) w.WriteNumber("perMinute", m);
        if (found.RateLimit.TokensPerMinute is { } t) w.WriteNumber("tokensPerMinute", t);
        WriteWindows(w, "windows", found.RateLimit.Windows);
        WriteWindows(w, "tokenWindows", found.RateLimit.TokenWindows);
        w.WriteEndObject();
        w.WriteStartArray("notes");
        foreach (var note in found.Notes)
        {
            w.WriteStringValue(note);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteWindows(System.Text.Json.Utf8JsonWriter w, string name, IList<RateLimitWindow> windows)
    {
        w.WriteStartArray(name);
        foreach (var window in windows)
        {
            w.WriteStartObject();
            w.WriteNumber("permits", window.Permits);
            w.WriteNumber("seconds", window.Window.TotalSeconds);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
