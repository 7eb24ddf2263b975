using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Tem.Execution;

namespace Tem.AI;

/// <summary>
/// A per-try pipeline policy for System.ClientModel SDKs (OpenAI): each try takes a permit of its limit group right
/// before it leaves (host + API-key fingerprint + the body's model), or reports to the permit an outer
/// <c>UseTem</c> took; the response's rate headers teach the group; account errors and refusals become Tem's exceptions,
/// thrown from the try itself so the SDK's own retry policy (which must be off) never sees them as retryable.
/// </summary>
internal sealed class TemPipelinePolicy(ProviderLimits limits, TimeProvider time) : PipelinePolicy
{
    private const int BodyLimit = 256 * 1024;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => ProcessCoreAsync(message, pipeline, currentIndex, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => ProcessCoreAsync(message, pipeline, currentIndex, async: true);

    private async ValueTask ProcessCoreAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool async)
    {
        TaskContext.Current.Value?.MarkRequest(); // the worker's start permit counts from now
        var permit = ProviderCallPermit.Current;
        var own = false;
        if (permit is not null)
        {
            permit.OnRequest(); // the adapter's permit covers this call already
        }
        else
        {
            var (model, input, output) = Describe(message.Request);
            var group = LimitGroupKey.For(message.Request.Uri ?? new Uri("http://localhost/"), ApiKey(message.Request.Headers), model);
            permit = await limits.AcquireAsync(group, input, output, message.CancellationToken).ConfigureAwait(false);
            own = true;
        }

        try
        {
            if (async)
            {
                await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
            }
            else
            {
                ProcessNext(message, pipeline, currentIndex);
            }

            Inspect(message, permit, own);
        }
        finally
        {
            if (own)
            {
                permit.Dispose(); // released if nothing above settled it
            }
        }
    }

    private void Inspect(PipelineMessage message, ProviderCallPermit permit, bool own)
    {
        if (message.Response is not { } response)
        {
            return;
        }

        permit.ReportHeaders(response.Headers);
        var status = (HttpStatusCode)response.Status;
        if (ProviderAccountErrors.MayBeAccountError(status) || response.Status is 429 or 503 or ProviderRefusal.OverloadedStatus)
        {
            var body = ReadBody(response);
            if (ProviderAccountErrors.From(status, body) is { } account)
            {
                throw account; // quota, billing or key: no pacing, no retry
            }

            if (ProviderRefusal.Classify(status, body) is { } kind)
            {
                var refusal = SdkRefusals.Create(kind, response.Status, SdkRefusals.RetryAfter(response.Headers, time.GetUtcNow()), permit.InFlightAtSend, null);
                permit.RefusedWithBody(refusal, body);
                throw refusal;
            }
        }

        if (own && !response.IsError)
        {
            var (input, output) = message.BufferResponse ? Usage(response) : (null, null);
            permit.Complete(input, output);
        }
    }

    private static string? ReadBody(PipelineResponse response)
    {
        try
        {
            return response.BufferContent().ToString();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>OpenAI's <c>usage.prompt_tokens</c> and <c>completion_tokens</c> (or Anthropic's names) of a buffered JSON body.</summary>
    private static (long? Input, long? Output) Usage(PipelineResponse response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Content.ToMemory());
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (Number(usage, "prompt_tokens") ?? Number(usage, "input_tokens"), Number(usage, "completion_tokens") ?? Number(usage, "output_tokens"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return (null, null);
        }
    }

    private static long? Number(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : null;

    private static (string? Model, long Input, long Output) Describe(PipelineRequest request)
    {
        if (request.Content is null)
        {
            return (null, 0, 0);
        }

        if (request.Content.TryComputeLength(out var length) && length > BodyLimit)
        {
            return (null, 0, 0);
        }

        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer);
        return RequestDescription.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    private static string? ApiKey(PipelineRequestHeaders headers)
    {
        if (headers.TryGetValue("Authorization", out var auth) && auth is { Length: > 0 })
        {
            return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth["Bearer ".Length..].Trim() : auth;
        }

        return headers.TryGetValue("api-key", out var key) && key is { Length: > 0 } ? key : null;
    }
}
