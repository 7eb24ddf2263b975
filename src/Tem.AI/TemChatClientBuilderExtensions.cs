using Microsoft.Extensions.AI;

namespace Tem.AI;

/// <summary>Adds Tem's pacing to an <see cref="IChatClient"/> pipeline.</summary>
public static class TemChatClientBuilderExtensions
{
    /// <summary>
    /// Paces every call of the client with <paramref name="limits"/>: a permit of the call's limit group is taken right
    /// before it leaves (reserving the prompt estimate + <c>MaxOutputTokens</c>), settled from <c>ChatResponse.Usage</c>,
    /// and the SDK's refusals become Tem's (<see cref="RetryAfterException"/>, <see cref="ProviderOverloadedException"/>,
    /// <see cref="ProviderAccountException"/>). Turn the SDK's own retries off (<see cref="TemOpenAI.Options"/>,
    /// Anthropic's <c>MaxRetries = 0</c>) so that Tem is the only retry loop.
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="limits">The pacing the engine uses too (<see cref="TemOptions.ProviderLimits"/>); it exists before the engine.</param>
    /// <param name="options">How the group is named; null for the default (host + key fingerprint + model).</param>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="limits"/> is null.</exception>
    /// <exception cref="ArgumentException"><see cref="TemChatClientOptions.LimitGroup"/> is not a valid group name, or <see cref="TemChatClientOptions.CharactersPerToken"/> is not positive.</exception>
    public static ChatClientBuilder UseTem(this ChatClientBuilder builder, ProviderLimits limits, TemChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(limits);
        options ??= new TemChatClientOptions();
        if (options.LimitGroup is { } name)
        {
            _ = LimitGroupKey.Named(name); // fail now, with the name's rule, not at the first call
        }

        if (options.CharactersPerToken <= 0)
        {
            throw new ArgumentException($"TemChatClientOptions.CharactersPerToken is {options.CharactersPerToken}; it must be positive (4 suits English text).", nameof(options));
        }

        return builder.Use(inner => new TemChatClient(inner, limits, options));
    }
}
