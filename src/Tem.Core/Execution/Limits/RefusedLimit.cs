namespace Tem.Execution;

/// <summary>
/// Which limit a rate-limit refusal's body names. OpenAI writes "Rate limit reached for MODEL in organization ORG on
/// tokens per min (TPM): Limit 30000, Used 29785, Requested 1043." — its "Requested" must not read as the requests
/// limit — or "… on requests per min (RPM) …"; Anthropic writes "… the rate limit for your organization … of 50,000
/// input tokens per minute". A body that names no limit, or both, names none.
/// </summary>
internal static class RefusedLimit
{
    public static LimitKind? Named(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return null;
        }

        var tokens = Has(body, "tokens per") || Has(body, "tokens_per") || body.Contains("(TPM)", StringComparison.Ordinal) || Has(body, "token rate limit");
        var requests = Has(body, "requests per") || Has(body, "requests_per") || body.Contains("(RPM)", StringComparison.Ordinal) || Has(body, "request rate limit");
        if (tokens == requests)
        {
            if (tokens)
            {
                return null; // both named: the headers must tell
            }

            // No phrase of either: fall back to the words alone, as a body such as "token limit exceeded" has them.
            return Has(body, "token") && !Has(body, "request") ? LimitKind.Tokens : null;
        }

        if (requests)
        {
            return LimitKind.Requests;
        }

        return Has(body, "input tokens") || Has(body, "input_tokens") ? LimitKind.InputTokens
            : Has(body, "output tokens") || Has(body, "output_tokens") ? LimitKind.OutputTokens
            : LimitKind.Tokens;
    }

    private static bool Has(string body, string phrase) => body.Contains(phrase, StringComparison.OrdinalIgnoreCase);
}
