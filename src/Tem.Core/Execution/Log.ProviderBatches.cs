using Microsoft.Extensions.Logging;

namespace Tem.Execution;

/// <summary>What the provider-batch worker logs (issue 24).</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.ProviderBatchStepFailed, LogLevel.Warning, "Provider batch submission {Nonce} failed at step '{State}': {Message}; trying again after a backoff.")]
    public static partial void ProviderBatchStepFailed(ILogger logger, string nonce, string state, string message);

    [LoggerMessage(LogEvents.ProviderBatchLoopFailed, LogLevel.Error, "The provider-batch loop failed; it goes on after a pause.")]
    public static partial void ProviderBatchLoopFailed(ILogger logger, Exception exception);
}
