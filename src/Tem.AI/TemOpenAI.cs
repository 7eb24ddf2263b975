using System.ClientModel.Primitives;
using OpenAI;

namespace Tem.AI;

/// <summary>
/// Sets up the OpenAI SDK (and any System.ClientModel client) so Tem is its only retry loop: the SDK's retry policy
/// off, so every attempt is one request the provider sees and Tem decides when to send it again; a per-try policy that
/// takes a permit of the request's limit group from <see cref="ProviderLimits"/>, reads the rate headers of every
/// response and turns refusals and account errors into Tem's exceptions.
/// </summary>
/// <example><code>
/// var limits = new ProviderLimits();
/// var chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential(key), TemOpenAI.Options(limits));
/// await using var tem = TemEngine.Open(new TemOptions { DatabasePath = "tem.db", ProviderLimits = limits }, registry);
/// </code></example>
public static class TemOpenAI
{
    /// <summary>
    /// <paramref name="options"/> (or new options) with <see cref="ClientPipelineOptions.RetryPolicy"/> set to no
    /// retries and Tem's per-try policy added. Call it once per options object.
    /// </summary>
    /// <param name="limits">The pacing the engine uses too (<see cref="TemOptions.ProviderLimits"/>).</param>
    /// <param name="options">Options to set up (endpoint, timeouts…); null for new ones.</param>
    /// <exception cref="ArgumentNullException"><paramref name="limits"/> is null.</exception>
    public static OpenAIClientOptions Options(ProviderLimits limits, OpenAIClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        options ??= new OpenAIClientOptions();
        Configure(limits, options);
        return options;
    }

    /// <summary>
    /// Sets up any System.ClientModel client's options the same way: retries off, Tem's per-try policy added.
    /// </summary>
    /// <param name="limits">The pacing the engine uses too.</param>
    /// <param name="options">The client's options.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void Configure(ProviderLimits limits, ClientPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        options.RetryPolicy = new ClientRetryPolicy(maxRetries: 0);
        options.AddPolicy(new TemPipelinePolicy(limits, TimeProvider.System), PipelinePosition.PerTry);
    }
}
