using System.Security.Cryptography;
using System.Text;

namespace Tem;

/// <summary>
/// Names a limit group: the requests that one set of provider limits counts. Providers keep limits per organisation
/// (the API key) and per model (OpenAI) or model class (Anthropic), so the default group is the endpoint's host, a
/// fingerprint of the API key (a short hash; the key itself is never kept) and the model
/// (<see cref="For(Uri, string?, string?)"/>). A task type or a call may name a group of its own (<see cref="Named"/>),
/// such as two models that share one limit.
/// </summary>
public readonly record struct LimitGroupKey
{
    private readonly string? _name;

    private LimitGroupKey(string name, string? host, string? keyFingerprint, string? model)
    {
        _name = name;
        Host = host;
        KeyFingerprint = keyFingerprint;
        Model = model;
    }

    /// <summary>The group's name: the one given to <see cref="Named"/>, or <c>host/fingerprint/model</c>. <see cref="ProviderLimitsOptions.Groups"/> is looked up by it.</summary>
    public string Name => _name ?? "";

    /// <summary>The endpoint's host (with its port when not the scheme's default); null for a named group.</summary>
    public string? Host { get; }

    /// <summary>The first 8 hex digits of the API key's SHA-256; null when there is no key or for a named group.</summary>
    public string? KeyFingerprint { get; }

    /// <summary>The model; null when none is known or for a named group.</summary>
    public string? Model { get; }

    /// <summary>The default group of a request: <paramref name="endpoint"/>'s host, <paramref name="apiKey"/>'s fingerprint and <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    public static LimitGroupKey For(Uri endpoint, string? apiKey, string? model)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var host = endpoint.IsAbsoluteUri ? (endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}") : "";
        var fingerprint = string.IsNullOrEmpty(apiKey) ? null : Fingerprint(apiKey);
        model = string.IsNullOrWhiteSpace(model) ? null : model.Trim();
        return new LimitGroupKey($"{host}/{fingerprint ?? "-"}/{model ?? "-"}", host, fingerprint, model);
    }

    /// <summary>A group named by the user, such as <c>"openai-small-models"</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 200 characters, or has leading or trailing spaces.</exception>
    public static LimitGroupKey Named(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Trim() != name)
        {
            throw new ArgumentException($"A limit group's name is \"{name}\"; it needs 1 to 200 characters without leading or trailing spaces, such as \"openai-small-models\".", nameof(name));
        }

        return new LimitGroupKey(name, null, null, null);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>The first 8 hex digits of the key's SHA-256: enough to tell keys apart, nothing to recover one from.</summary>
    internal static string Fingerprint(string apiKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(apiKey), hash);
        return Convert.ToHexStringLower(hash[..4]);
    }
}
