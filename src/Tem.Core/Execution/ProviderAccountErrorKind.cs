namespace Tem;

/// <summary>What is wrong with the account a provider refused (see <see cref="ProviderAccountException"/>).</summary>
public enum ProviderAccountErrorKind
{
    /// <summary>The account's quota or spend limit is used up (OpenAI <c>insufficient_quota</c>, Anthropic's usage limits).</summary>
    Quota,

    /// <summary>Billing is not set up or the credit balance is too low (OpenAI <c>billing_not_active</c>, Anthropic <c>billing_error</c>).</summary>
    Billing,

    /// <summary>The API key is missing, wrong, revoked, or not allowed this request (HTTP 401 or 403).</summary>
    Credentials,
}
