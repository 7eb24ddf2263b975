namespace Tem;

/// <summary>Where an LLM task's requests go: the provider's dialect, its API root and key.</summary>
public sealed class LlmEndpoint
{
    /// <summary>Creates an endpoint.</summary>
    /// <param name="provider">The API dialect.</param>
    /// <param name="baseAddress">The API root, such as https://api.openai.com/ (the <c>v1/…</c> paths are added).</param>
    /// <param name="apiKey">The API key.</param>
    /// <exception cref="ArgumentException">The address is not absolute http(s), or the key is blank.</exception>
    public LlmEndpoint(LlmProvider provider, Uri baseAddress, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The base address must be an absolute http or https URL such as https://api.openai.com/; got '{baseAddress}'.", nameof(baseAddress));
        }

        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new ArgumentException("The API key is blank: pass the provider's key (for example from an environment variable).", nameof(apiKey));
        }

        Provider = provider;
        BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        ApiKey = apiKey;
    }

    /// <summary>The API dialect.</summary>
    public LlmProvider Provider { get; }

    /// <summary>The API root, ending in a slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The API key.</summary>
    public string ApiKey { get; }

    /// <summary>Requests per provider batch (a file): at most the provider's limit (OpenAI 50,000, Anthropic 100,000). Default 50,000.</summary>
    public int MaxLinesPerBatch { get; init; } = 50_000;

    /// <summary>Bytes per provider batch: at most the provider's limit (OpenAI 200 MB, Anthropic 256 MB). Default 190 MB.</summary>
    public long MaxBytesPerBatch { get; init; } = 190L * 1024 * 1024;

    /// <summary>The first wait between polls of a provider batch; it doubles up to <see cref="MaxPollInterval"/>. Default 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between polls. Default 60 s.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(60);
}
