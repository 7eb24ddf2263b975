using System.Globalization;
using Tem;

namespace Tem.Samples.BatchApi;

/// <summary>
/// <c>--base-url URL --api-key KEY --count N --db PATH --provider openai|anthropic --route batch|live|auto</c>. The base URL
/// may end in <c>/v1</c> or not.
/// </summary>
public sealed record BatchApiArguments(Uri BaseUrl, string ApiKey, int Count, string Database, LlmProvider Provider, LlmRoute Route)
{
    private const string Usage = "usage: Tem.Samples.BatchApi --base-url URL --api-key KEY --count N --db PATH --provider openai|anthropic --route batch|live|auto";

    /// <summary>Reads the arguments; throws <see cref="ArgumentException"/> saying what is wrong, with the usage line.</summary>
    public static BatchApiArguments Parse(string[] args)
    {
        string[] known = ["--base-url", "--api-key", "--count", "--db", "--provider", "--route"];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!known.Contains(args[i]))
            {
                throw Bad($"unknown argument '{args[i]}'");
            }

            if (i + 1 >= args.Length)
            {
                throw Bad($"{args[i]} needs a value");
            }

            values[args[i]] = args[++i];
        }

        foreach (var required in known)
        {
            if (!values.ContainsKey(required))
            {
                throw Bad($"{required} is missing");
            }
        }

        if (!Uri.TryCreate(values["--base-url"], UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw Bad($"--base-url '{values["--base-url"]}' is not an http(s) URL such as http://127.0.0.1:8080");
        }

        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        root = root.EndsWith("/v1", StringComparison.Ordinal) ? root[..^3] : root;
        if (!int.TryParse(values["--count"], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            throw Bad($"--count '{values["--count"]}' must be a whole number of at least 1");
        }

        var provider = values["--provider"] switch
        {
            "openai" => LlmProvider.OpenAI,
            "anthropic" => LlmProvider.Anthropic,
            var other => throw Bad($"--provider '{other}' must be openai or anthropic"),
        };
        var route = values["--route"] switch
        {
            "batch" => LlmRoute.ProviderBatch,
            "live" => LlmRoute.Live,
            "auto" => LlmRoute.Auto,
            var other => throw Bad($"--route '{other}' must be batch, live or auto"),
        };
        return new BatchApiArguments(new Uri(root + "/"), values["--api-key"], count, values["--db"], provider, route);
    }

    private static ArgumentException Bad(string what) => new($"{what}.\n{Usage}");
}
