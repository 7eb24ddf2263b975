namespace Tem.AI;

/// <summary>How <see cref="TemChatClientBuilderExtensions.UseTem"/> names the limit group of a call.</summary>
public sealed class TemChatClientOptions
{
    /// <summary>
    /// A group every call of this client counts against (<see cref="LimitGroupKey.Named"/>), such as two models that share
    /// one limit; null for the default: endpoint host + API-key fingerprint + model.
    /// </summary>
    public string? LimitGroup { get; set; }

    /// <summary>The endpoint, when the client's <c>ChatClientMetadata.ProviderUri</c> does not tell it; null to read it from the client.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The API key, only fingerprinted (its SHA-256's first 8 hex digits), so two keys keep their limits apart; null when one key is used.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Characters per token of the prompt estimate the call reserves (plus its <c>MaxOutputTokens</c>). Default 4.</summary>
    public int CharactersPerToken { get; set; } = 4;
}
