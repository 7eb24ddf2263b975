// Tem with the OpenAI SDK (--client openai) or Microsoft.Extensions.AI over it (--client meai): two task types on two
// models, paced per model and key by one ProviderLimits made before the engine. Re-run with the same --db to resume.
//   dotnet run --project samples/Tem.Samples.OpenAI -c Release -- --base-url http://127.0.0.1:8080/v1 --api-key KEY --count 500 --db openai.db [--models gpt-4o-mini,gpt-4o] [--concurrency 16] [--price MODEL=IN/OUT] [--max-cost USD] [--client openai|meai]
using Tem;
using Tem.Samples;
using Tem.Samples.OpenAI;

SampleArguments arguments;
try
{
    arguments = SampleArguments.Parse(args, "gpt-4o-mini", ["openai", "meai"]);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"Tem.Samples.OpenAI: {ex.Message}");
    return 2;
}

var limits = new ProviderLimits(); // learned per limit group from the provider's headers and refusals
var models = new ModelClients(arguments.Client!, arguments.BaseUrl, arguments.ApiKey, arguments.SmallModel, arguments.LargeModel, limits);
await using var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = arguments.Database,
    Concurrency = arguments.Concurrency,
    ProviderLimits = limits,
    Prices = arguments.Prices, // --price: what the last line's spend and --max-cost count in
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5) },
}, TemHandlers.CreateRegistry(() => new DocumentHandlers(models)));

await DocumentBatchRun.RunAsync(tem, "openai-sample", arguments.Count, TemTasks.Classify, TemTasks.Rewrite,
    number => new DocumentPayload(number), payload => payload.Number, arguments);
return 0;
