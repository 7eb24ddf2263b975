using System.Text.Json;

namespace Tem.Llm;

/// <summary>
/// A registered LLM task, erased to JSON like <see cref="Execution.HandlerEntry"/>: build a request from a stored payload,
/// and turn a response into the stored result. The submission worker uses it to pack provider batches; the live
/// handler to call the provider itself.
/// </summary>
internal sealed record LlmTaskEntry(string TaskType, LlmEndpoint Endpoint, Func<string, LlmRequest> Build, Func<string, LlmResponse, string?> Read)
{
    /// <summary>The entry of <paramref name="task"/> for <paramref name="taskType"/>.</summary>
    public static LlmTaskEntry Of<TPayload, TResult>(TaskType<TPayload, TResult> taskType, ILlmTask<TPayload, TResult> task, LlmEndpoint endpoint)
        => new(taskType.Name, endpoint,
            json => task.BuildRequest(ReadPayload(taskType, json)),
            (json, response) => JsonSerializer.Serialize(task.ReadResponse(ReadPayload(taskType, json), response), taskType.ResultTypeInfo));

    private static TPayload ReadPayload<TPayload>(TaskType<TPayload> taskType, string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, taskType.PayloadTypeInfo)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new NonRetryableException($"The stored payload does not parse as {typeof(TPayload).Name} for LLM task type '{taskType.Name}': {ex.Message} Fix the payload row, then retry the task.", ex);
        }
    }
}
