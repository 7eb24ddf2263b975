using System.Net.Http;

namespace Tem.Execution;

/// <summary>
/// Reads a response that may be an account error (see <see cref="ProviderAccountErrors"/>): its body is buffered first,
/// so a response that is none (an ordinary 400, a 429 rate limit) can still be read whole by the caller.
/// </summary>
internal static class ProviderAccountCheck
{
    private const int BodyLimit = 64 * 1024;

    public static async ValueTask<ProviderAccountException?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!ProviderAccountErrors.MayBeAccountError(response.StatusCode))
        {
            return null;
        }

        string? body = null;
        try
        {
            await response.Content.LoadIntoBufferAsync(BodyLimit, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Unreadable or larger than the limit: judged by its status alone.
        }

        return ProviderAccountErrors.From(response.StatusCode, body);
    }
}
