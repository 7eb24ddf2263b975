using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Tem.ProviderSimulator;

/// <summary>
/// The account behind the simulated provider: a quota spent after a number of served requests, and a key check. Its
/// refusals are the providers' own bodies: OpenAI's 429 <c>insufficient_quota</c>, Anthropic's 400 "credit balance is too
/// low", and 401 on a wrong key.
/// </summary>
public sealed class SimulatedAccount
{
    private long _served;
    private long _quotaRefusals;
    private long _keyRefusals;

    /// <summary>After this many served requests the quota is spent; null for never. Settable while running ("add credit").</summary>
    public long? QuotaAfter { get; set; }

    /// <summary>Which provider's body a spent quota gets: OpenAI's 429 or Anthropic's 400 billing error.</summary>
    public HeaderStyle Style { get; set; } = HeaderStyle.OpenAi;

    /// <summary>The only API key accepted (from <c>Authorization: Bearer</c> or <c>x-api-key</c>); null accepts any.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Requests refused because the quota was spent.</summary>
    public long QuotaRefusals => Interlocked.Read(ref _quotaRefusals);

    /// <summary>Requests refused for a wrong key.</summary>
    public long KeyRefusals => Interlocked.Read(ref _keyRefusals);

    /// <summary>Requests this account let through to be served.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Refuses the request when the key is wrong or the quota is spent; true when it answered.</summary>
    internal async Task<bool> RefuseAsync(HttpContext http)
    {
        if (ApiKey is { } key && KeyOf(http.Request) != key)
        {
            Interlocked.Increment(ref _keyRefusals);
            http.Response.StatusCode = 401;
            await WriteAsync(http, Style == HeaderStyle.Anthropic
                ? """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"""
                : """{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""");
            return true;
        }

        if (QuotaAfter is { } quota && Interlocked.Increment(ref _served) > quota)
        {
            Interlocked.Decrement(ref _served);
            Interlocked.Increment(ref _quotaRefusals);
            if (Style == HeaderStyle.Anthropic)
            {
                http.Response.StatusCode = 400;
                await WriteAsync(http, """{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}""");
            }
            else
            {
                http.Response.StatusCode = 429;
                await WriteAsync(http, """{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""");
            }

            return true;
        }

        if (QuotaAfter is null)
        {
            Interlocked.Increment(ref _served);
        }

        return false;
    }

    private static string? KeyOf(HttpRequest request)
    {
        var bearer = request.Headers.Authorization.ToString();
        return bearer.StartsWith("Bearer ", StringComparison.Ordinal) ? bearer["Bearer ".Length..] : request.Headers["x-api-key"].ToString();
    }

    private static Task WriteAsync(HttpContext http, string body)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body.ToString(CultureInfo.InvariantCulture));
    }
}
