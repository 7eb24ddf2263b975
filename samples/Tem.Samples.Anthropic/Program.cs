// Tem with the Anthropic SDK: its HttpClient carries Tem's ProviderRateLimitHandler (a permit per request, the
// anthropic-ratelimit-* headers learned per model and key) and its own retries are off, so Tem is the only retry loop.
// Re-run with the same --db to resume.
//   dotnet run --project samples/Tem.Samples.Anthropic -c Release -- --base-url http://127.0.0.1:8080 --api-key KEY --count 500 --db anthropic.db [--models claude-haiku-4-5,claude-sonnet-4-5] [--concurrency 16] [--price MODEL=IN/OUT] [--max-cost USD]
using Anthropic;
using Anthropic.Core;
using Tem;
using Tem.Samples;
using Tem.Samples.Anthropic;

SampleArguments arguments;
try
{
    arguments = SampleArguments.Parse(args, "claude-haiku-4-5");
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"Tem.Samples.Anthropic: {ex.Message}");
    return 2;
}

var limits = new ProviderLimits(); // learned per limit group from the provider's headers and refusals
var client = new AnthropicClient(new ClientOptions
{
    ApiKey = arguments.ApiKey,
    BaseUrl = arguments.BaseUrl.ToString().TrimEnd('/'),
    HttpClient = new HttpClient(new ProviderRateLimitHandler(limits) { InnerHandler = new SocketsHttpHandler() }),
    MaxRetries = 0,
});
await using var tem = TemEngine.Open(new TemOptions
{
    DatabasePath = arguments.Database,
    Concurrency = arguments.Concurrency,
    ProviderLimits = limits,
    Prices = arguments.Prices, // --price: what the last line's spend and --max-cost count in
    Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5) },
}, TemHandlers.CreateRegistry(() => new DocumentHandlers(client, arguments.SmallModel, arguments.LargeModel)));

await DocumentBatchRun.RunAsync(tem, "anthropic-sample", arguments.Count, TemTasks.Classify, TemTasks.Rewrite,
    number => new DocumentPayload(number), payload => payload.Number, arguments);
return 0;
