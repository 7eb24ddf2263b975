namespace Tem;

/// <summary>
/// The provider refused because of the account, not the load: the quota is spent, billing is off or the key is wrong.
/// Another attempt would be refused the same way, so the worker neither retries it nor uses an attempt: the task goes
/// back to pending and its batch is interrupted at once (<see cref="InterruptionKind.Quota"/>,
/// <see cref="InterruptionKind.Billing"/> or <see cref="InterruptionKind.Credentials"/>) until the account is fixed and
/// <c>Batches.ResumeAsync</c> is called. <see cref="TemOptions.InterruptOnAccountErrors"/> turns that off (the task then fails at once).
/// </summary>
public class ProviderAccountException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What is wrong with the account.</param>
    /// <param name="statusCode">The provider's HTTP status, or 0 when unknown.</param>
    /// <param name="message">What the provider said and what to do.</param>
    /// <param name="innerException">The SDK's own exception, if any.</param>
    public ProviderAccountException(ProviderAccountErrorKind kind, int statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    /// <summary>What is wrong with the account.</summary>
    public ProviderAccountErrorKind Kind { get; }

    /// <summary>The provider's HTTP status (401, 402, 403, 429, 400…), or 0 when unknown.</summary>
    public int StatusCode { get; }

    /// <summary>The interruption kind a batch gets for this error.</summary>
    public InterruptionKind InterruptionKind => Kind switch
    {
        ProviderAccountErrorKind.Quota => InterruptionKind.Quota,
        ProviderAccountErrorKind.Billing => InterruptionKind.Billing,
        _ => InterruptionKind.Credentials,
    };
}
