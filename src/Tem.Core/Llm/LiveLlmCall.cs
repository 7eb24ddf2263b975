using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Tem.Llm;

/// <summary>
/// The live route: one request to the provider's chat endpoint through <see cref="ProviderRateLimitHandler"/>, so it is
/// paced by the engine's provider limits and its refusals become waits that use no attempt.
/// </summary>
internal sealed class LiveLlmCall(HttpClient http)
{
    public async ValueTask<LlmResponse> SendAsync(LlmEndpoint endpoint, LlmRequest request, CancellationToken cancellationToken)
    {
        var openAi = endpoint.Provider == LlmProvider.OpenAI;
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseAddress, openAi ? "v1/chat/completions" : "v1/messages"))
        {
            Content = new ByteArrayContent(LlmWire.Body(endpoint.Provider, request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Options.Set(ProviderRateLimitHandler.ModelOption, request.Model);
        if (openAi)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }
        else
        {
            message.Headers.Add("x-api-key", endpoint.ApiKey);
            message.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = $"{endpoint.Provider} answered {(int)response.StatusCode} to a {request.Model} request: {(text.Length > 300 ? text[..300] : text)}";
            // A request the provider rejects as malformed fails the same way every time; anything else may pass later.
            throw response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity
                ? new NonRetryableException(error)
                : new HttpRequestException(error, null, response.StatusCode);
        }

        using var document = JsonDocument.Parse(text);
        return LlmWire.Read(endpoint.Provider, document.RootElement, viaBatch: false);
    }
}
