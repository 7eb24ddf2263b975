using Tem.Execution;
using Xunit;

namespace Tem.Provider.Tests;

/// <summary>Which limit a refusal's body names, read from the providers' own wording (issue 22: a refusal is charged to the limit that caused it).</summary>
public sealed class RefusedLimitTests
{
    [Theory]
    // OpenAI's token refusal says "Requested 1043" too: that word must not make it a requests refusal.
    [InlineData("""{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29785, Requested 1043. Please try again in 1.656s.","type":"tokens","code":"rate_limit_exceeded"}}""", "Tokens")]
    [InlineData("""{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.","type":"requests","code":"rate_limit_exceeded"}}""", "Requests")]
    [InlineData("""{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50,000 input tokens per minute."}}""", "InputTokens")]
    [InlineData("""{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 10,000 output tokens per minute."}}""", "OutputTokens")]
    [InlineData("""{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50 requests per minute."}}""", "Requests")]
    [InlineData("token limit exceeded", "Tokens")]
    public void A_body_that_names_one_limit_is_charged_to_it(string body, string expected) => Assert.Equal(expected, RefusedLimit.Named(body)?.ToString());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Rate limit reached for requests or tokens.")]
    [InlineData("Too Many Requests")]
    [InlineData("You have exceeded the tokens per min (TPM) and the requests per min (RPM) limits.")]
    public void A_body_that_names_no_limit_or_both_names_none(string? body) => Assert.Null(RefusedLimit.Named(body));
}
