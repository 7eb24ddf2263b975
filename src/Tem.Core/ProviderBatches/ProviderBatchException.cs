namespace Tem.ProviderBatches;

/// <summary>A provider's batch API refused a call or answered something Tem cannot read; the message names the call, the status and the provider's own words.</summary>
internal sealed class ProviderBatchException(string message, int? statusCode = null, string? errorType = null, Exception? innerException = null)
    : TemException(message, innerException)
{
    /// <summary>The HTTP status, when the provider answered.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>The provider's error type, such as <c>invalid_request_error</c>, when its body named one.</summary>
    public string? ErrorType { get; } = errorType;
}
