using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Tem.Dashboard;

/// <summary>The page's CSS, script and icon, read once from the assembly's resources and served with an ETag.</summary>
internal static class EmbeddedAssets
{
    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType, string ETag)> Assets = Load();

    public static async Task<bool> TryServeAsync(HttpContext http, string? name)
    {
        if (name is null || !Assets.TryGetValue(name, out var asset))
        {
            return false;
        }

        PageLayout.Secure(http.Response);
        http.Response.Headers.ETag = asset.ETag;
        http.Response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        http.Response.ContentType = asset.ContentType;
        http.Response.ContentLength = asset.Body.Length;
        await http.Response.Body.WriteAsync(asset.Body, http.RequestAborted).ConfigureAwait(false);
        return true;
    }

    private static FrozenDictionary<string, (byte[], string, string)> Load()
    {
        const string prefix = "Tem.Dashboard.Assets.";
        var assembly = typeof(EmbeddedAssets).Assembly;
        var assets = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var body = copy.ToArray();
            var name = resource[prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = (body, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
