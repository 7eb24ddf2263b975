using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Tem.AI;

namespace Tem.Samples.OpenAI;

/// <summary>A model the handlers prompt: one completion of at most so many tokens.</summary>
public interface IModelClient
{
    /// <summary>The model's answer to <paramref name="prompt"/>.</summary>
    Task<string> CompleteAsync(string prompt, int maxTokens, CancellationToken cancellationToken);
}

/// <summary>The two models of the sample (the same one twice when only one is given).</summary>
public interface IModelClients
{
    /// <summary>The model of "classify".</summary>
    IModelClient Small { get; }

    /// <summary>The model of "rewrite".</summary>
    IModelClient Large { get; }
}

/// <summary>The OpenAI SDK's <see cref="ChatClient"/>, set up by <see cref="TemOpenAI.Options"/>: SDK retries off, Tem's per-try policy on.</summary>
public sealed class OpenAIModel(ChatClient chat) : IModelClient
{
    /// <inheritdoc/>
    public async Task<string> CompleteAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], new ChatCompletionOptions { MaxOutputTokenCount = maxTokens }, cancellationToken);
        return completion.Content.Count > 0 ? completion.Content[0].Text : "";
    }
}

/// <summary>The same SDK behind Microsoft.Extensions.AI's <see cref="IChatClient"/>, paced by <c>UseTem</c>.</summary>
public sealed class ChatClientModel(IChatClient chat) : IModelClient
{
    /// <inheritdoc/>
    public async Task<string> CompleteAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
        => (await chat.GetResponseAsync(prompt, new ChatOptions { MaxOutputTokens = maxTokens }, cancellationToken)).Text;
}

/// <summary>Makes the two models' clients, all paced by one <see cref="ProviderLimits"/> made before the engine.</summary>
public sealed class ModelClients : IModelClients
{
    /// <summary>Builds the clients the <paramref name="client"/> style asks for ("openai" or "meai").</summary>
    public ModelClients(string client, Uri baseUrl, string apiKey, string smallModel, string largeModel, ProviderLimits limits)
    {
        Small = Create(client, baseUrl, apiKey, smallModel, limits);
        Large = smallModel == largeModel ? Small : Create(client, baseUrl, apiKey, largeModel, limits);
    }

    /// <inheritdoc/>
    public IModelClient Small { get; }

    /// <inheritdoc/>
    public IModelClient Large { get; }

    private static IModelClient Create(string client, Uri baseUrl, string apiKey, string model, ProviderLimits limits)
    {
        // The line a user pastes: the SDK's retries off, Tem's per-try policy reading the rate headers.
        var chat = new ChatClient(model, new ApiKeyCredential(apiKey), TemOpenAI.Options(limits, new OpenAIClientOptions { Endpoint = baseUrl }));
        if (client == "openai")
        {
            return new OpenAIModel(chat);
        }

        // IChatClient: UseTem takes the call's permit; the policy under it reports the headers to that permit.
        return new ChatClientModel(chat.AsIChatClient().AsBuilder().UseTem(limits, new TemChatClientOptions { ApiKey = apiKey }).Build());
    }
}
