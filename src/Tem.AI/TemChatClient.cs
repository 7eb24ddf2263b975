using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Tem.AI;

/// <summary>
/// The <see cref="DelegatingChatClient"/> of <see cref="TemChatClientBuilderExtensions.UseTem"/>: one permit per call,
/// taken right before it leaves and ambient (<see cref="ProviderCallPermit.Current"/>) while it runs, so a Tem policy or
/// handler under the SDK reports the response's headers to it instead of taking a second one.
/// </summary>
internal sealed class TemChatClient(IChatClient inner, ProviderLimits limits, TemChatClientOptions options) : DelegatingChatClient(inner)
{
    private readonly TimeProvider _time = TimeProvider.System;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        using var permit = await AcquireAsync(list, chatOptions, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, chatOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (SdkRefusals.Translate(ex, permit, _time) is { } tem)
        {
            throw tem;
        }

        permit.CachedInputTokens = response.Usage?.CachedInputTokenCount;
        permit.Complete(response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        using var permit = await AcquireAsync(list, chatOptions, cancellationToken).ConfigureAwait(false);
        UsageDetails? usage = null;
        var updates = base.GetStreamingResponseAsync(list, chatOptions, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception ex) when (SdkRefusals.Translate(ex, permit, _time) is { } tem)
                {
                    throw tem;
                }

                foreach (var content in updates.Current.Contents)
                {
                    if (content is UsageContent { Details: var details })
                    {
                        usage = details;
                    }
                }

                yield return updates.Current;
            }
        }

        permit.CachedInputTokens = usage?.CachedInputTokenCount;
        permit.Complete(usage?.InputTokenCount, usage?.OutputTokenCount);
    }

    private ValueTask<ProviderCallPermit> AcquireAsync(IReadOnlyCollection<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken cancellationToken)
    {
        var characters = 0L;
        foreach (var message in messages)
        {
            characters += message.Text.Length;
        }

        var input = characters / options.CharactersPerToken + 1;
        var output = Math.Max(0, chatOptions?.MaxOutputTokens ?? 0);
        return limits.AcquireAsync(Group(chatOptions), input, output, cancellationToken);
    }

    private LimitGroupKey Group(ChatOptions? chatOptions)
    {
        if (options.LimitGroup is { } name)
        {
            return LimitGroupKey.Named(name);
        }

        var metadata = this.GetService<ChatClientMetadata>();
        var endpoint = options.Endpoint ?? metadata?.ProviderUri ?? new Uri("http://localhost/");
        return LimitGroupKey.For(endpoint, options.ApiKey, chatOptions?.ModelId ?? metadata?.DefaultModelId);
    }
}
