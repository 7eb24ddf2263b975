using System.Net;

namespace Tem;

/// <summary>
/// Tells account errors (quota spent, billing off, bad key) from rate limits by status and body, for any client: Tem's
/// HTTP handler, the <c>Tem.AI</c> adapters and users' own code call the same rule. A 429 is a rate limit unless its body
/// names a spent quota (or inactive billing by its code); a 400, 402 or 403 is an account error only when its body speaks of billing, credit or usage
/// limits; a 401 always is, and a 403 is one whenever it is not about something else the body names.
/// </summary>
public static class ProviderAccountErrors
{
    // OpenAI's error codes for a spent quota; the successors keep the words "quota" or "billing" in their code or message.
    private static readonly string[] QuotaWords = ["insufficient_quota", "exceeded your current quota", "usage limit", "spend limit", "spending limit", "hard_limit", "hard limit"];
    private static readonly string[] BillingWords = ["billing_error", "billing_not_active", "credit balance", "billing", "payment required", "purchase credits"];

    /// <summary>Whether a response of this status may be an account error (and its body is worth reading).</summary>
    public static bool MayBeAccountError(HttpStatusCode status) => (int)status is 400 or 401 or 402 or 403 or 429;

    /// <summary>The kind of account error a response is, or null when it is none (a rate limit, an ordinary 400…).</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="body">The body, or its first kilobytes; null when unknown.</param>
    public static ProviderAccountErrorKind? Classify(HttpStatusCode status, string? body)
    {
        var code = (int)status;
        if (code is not (400 or 401 or 402 or 403 or 429))
        {
            return null;
        }

        if (Mentions(body, QuotaWords))
        {
            return ProviderAccountErrorKind.Quota;
        }

        if (code == 429)
        {
            // OpenAI's ordinary rate-limit message points at the billing page ("add a payment method to increase your
            // rate limit"), so a 429 is a billing error only by its code.
            return body?.Contains("billing_not_active", StringComparison.OrdinalIgnoreCase) == true ? ProviderAccountErrorKind.Billing : null;
        }

        if (Mentions(body, BillingWords) || code == 402)
        {
            return ProviderAccountErrorKind.Billing;
        }

        return code is 401 or 403 ? ProviderAccountErrorKind.Credentials : null;
    }

    /// <summary>The exception for a response, with a message that says what to do; null when it is no account error.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="body">The body, or its first kilobytes; null when unknown.</param>
    /// <param name="innerException">The SDK's exception, if any.</param>
    public static ProviderAccountException? From(HttpStatusCode status, string? body, Exception? innerException = null)
        => Classify(status, body) is { } kind ? new ProviderAccountException(kind, (int)status, Describe(kind, (int)status, body), innerException) : null;

    private static string Describe(ProviderAccountErrorKind kind, int status, string? body)
    {
        var said = string.IsNullOrWhiteSpace(body) ? "" : $" It said: {Cut(body)}";
        return kind switch
        {
            ProviderAccountErrorKind.Quota => $"The provider answered {status}: the account's quota or spend limit is used up. Raise the limit or add credit, then call Batches.ResumeAsync; the batch's tasks wait pending.{said}",
            ProviderAccountErrorKind.Billing => $"The provider answered {status}: a billing problem (no payment method or a credit balance too low). Fix the account's billing, then call Batches.ResumeAsync; the batch's tasks wait pending.{said}",
            _ => $"The provider answered {status}: the API key was refused (missing, wrong, revoked or without access). Check the key, then call Batches.ResumeAsync; the batch's tasks wait pending.{said}",
        };
    }

    private static bool Mentions(string? body, string[] words)
    {
        if (body is null)
        {
            return false;
        }

        foreach (var word in words)
        {
            if (body.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Cut(string body)
    {
        var text = body.Trim().ReplaceLineEndings(" ");
        return text.Length <= 400 ? text : string.Concat(text.AsSpan(0, 400), "…");
    }
}
