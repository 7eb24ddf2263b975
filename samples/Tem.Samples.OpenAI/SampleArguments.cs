using System.Globalization;

namespace Tem.Samples;

/// <summary>
/// The LLM samples' command line: <c>--base-url URL --api-key KEY --count N --db PATH [--models small,large]
/// [--concurrency N] [--price MODEL=IN/OUT]... [--max-cost USD]</c> (and <c>--client openai|meai</c> where the sample has a choice). Shared by the OpenAI and
/// Anthropic samples (linked, not copied).
/// </summary>
public sealed record SampleArguments(Uri BaseUrl, string ApiKey, int Count, string Database, string SmallModel, string LargeModel, int Concurrency, string? Client)
{
    /// <summary>The <c>--price</c> table (empty without the flag).</summary>
    public IReadOnlyDictionary<string, ModelPrice> Prices { get; init; } = new Dictionary<string, ModelPrice>();

    /// <summary>The <c>--max-cost</c> budget of the batch, if given.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>Whether spend goes on the last line: either flag was given.</summary>
    public bool ShowsSpend => Prices.Count > 0 || MaxCost is not null;

    /// <summary>Reads the arguments; throws <see cref="ArgumentException"/> with what is wrong and the usage line.</summary>
    public static SampleArguments Parse(string[] args, string defaultModels, string[]? clients = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var known = new List<string> { "--base-url", "--api-key", "--count", "--db", "--models", "--concurrency", "--price", "--max-cost" };
        var priceValues = new List<string>();
        if (clients is not null)
        {
            known.Add("--client");
        }

        for (var i = 0; i < args.Length; i++)
        {
            if (!known.Contains(args[i]))
            {
                throw Bad($"unknown argument '{args[i]}'", clients);
            }

            if (i + 1 >= args.Length)
            {
                throw Bad($"{args[i]} needs a value", clients);
            }

            if (args[i] == "--price")
            {
                priceValues.Add(args[++i]); // repeatable
                continue;
            }

            values[args[i]] = args[++i];
        }

        foreach (var required in (string[])["--base-url", "--api-key", "--count", "--db"])
        {
            if (!values.ContainsKey(required))
            {
                throw Bad($"{required} is missing", clients);
            }
        }

        if (!Uri.TryCreate(values["--base-url"], UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw Bad($"--base-url '{values["--base-url"]}' is not an http(s) URL such as http://127.0.0.1:8080/v1", clients);
        }

        var count = Number(values, "--count", "1", clients, min: 1);
        var concurrency = Number(values, "--concurrency", "16", clients, min: 1);
        var models = (values.GetValueOrDefault("--models") ?? defaultModels).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (models.Length is < 1 or > 2)
        {
            throw Bad($"--models '{values["--models"]}' must name one model or two (small,large)", clients);
        }

        string? client = null;
        if (clients is not null)
        {
            client = values.GetValueOrDefault("--client") ?? clients[0];
            if (!clients.Contains(client))
            {
                throw Bad($"--client '{client}' must be one of {string.Join(", ", clients)}", clients);
            }
        }

        Dictionary<string, ModelPrice> prices;
        decimal? maxCost;
        try
        {
            prices = SamplePrices.Parse(priceValues);
            maxCost = values.TryGetValue("--max-cost", out var max) ? SamplePrices.ParseMaxCost(max) : null;
        }
        catch (FormatException ex)
        {
            throw Bad(ex.Message, clients);
        }

        return new SampleArguments(baseUrl, values["--api-key"], count, values["--db"], models[0], models[^1], concurrency, client)
        {
            Prices = prices,
            MaxCost = maxCost,
        };
    }

    private static int Number(Dictionary<string, string> values, string name, string fallback, string[]? clients, int min)
    {
        var text = values.GetValueOrDefault(name) ?? fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= 10_000_000
            ? n
            : throw Bad($"{name} '{text}' must be a whole number from {min}", clients);
    }

    private static ArgumentException Bad(string what, string[]? clients)
        => new($"{what}. Usage: --base-url URL --api-key KEY --count N --db PATH [--models small,large] [--concurrency N] [--price MODEL=IN/OUT] [--max-cost USD]"
            + (clients is null ? "" : $" [--client {string.Join('|', clients)}]"));
}
