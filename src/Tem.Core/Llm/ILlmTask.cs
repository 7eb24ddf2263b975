namespace Tem;

/// <summary>
/// An LLM task that describes its call instead of making it: Tem sends the request live or through the provider's
/// batch API (see <see cref="LlmRoute"/>) and hands the response back. Register it with
/// <see cref="TemWorker.RegisterLlm{TPayload, TResult}"/>.
/// </summary>
/// <typeparam name="TPayload">The task's payload.</typeparam>
/// <typeparam name="TResult">The task's result.</typeparam>
public interface ILlmTask<TPayload, TResult>
{
    /// <summary>The request for <paramref name="payload"/>. Called again after a crash: return the same request for the same payload.</summary>
    LlmRequest BuildRequest(TPayload payload);

    /// <summary>The task's result from the provider's answer; throw to fail the attempt (the retry policy applies).</summary>
    TResult ReadResponse(TPayload payload, LlmResponse response);
}
