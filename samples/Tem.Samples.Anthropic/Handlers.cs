using Anthropic;
using Anthropic.Models.Messages;
using Tem;

namespace Tem.Samples.Anthropic;

/// <summary>One document of the batch; the prompt names it as doc-N.</summary>
public sealed record DocumentPayload(int Number);

/// <summary>What a handler stores: the document and the model's answer.</summary>
public sealed record DocumentAnswer(int Number, string Text);

/// <summary>Two task types on two models: "classify" on the small one, "rewrite" on the large one.</summary>
public sealed class DocumentHandlers(AnthropicClient client, string smallModel, string largeModel)
{
    /// <summary>Labels a document with the small model.</summary>
    [TemHandler("classify", MaxAttempts = 4)]
    public async Task<DocumentAnswer> Classify(DocumentPayload payload, CancellationToken cancellationToken)
        => new(payload.Number, await CompleteAsync(smallModel, $"Classify doc-{payload.Number} as news, opinion or other.", 16, cancellationToken));

    /// <summary>Rewrites a document with the large model.</summary>
    [TemHandler("rewrite", MaxAttempts = 4)]
    public async Task<DocumentAnswer> Rewrite(DocumentPayload payload, CancellationToken cancellationToken)
        => new(payload.Number, await CompleteAsync(largeModel, $"Rewrite doc-{payload.Number} in plain English.", 64, cancellationToken));

    private async Task<string> CompleteAsync(string model, string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = model,
            MaxTokens = maxTokens,
            Messages = [new UserMessageParam { Content = prompt }],
        }, cancellationToken);
        return string.Concat(message.Content.Select(block => block.TryPickText(out var text) ? text.Text : ""));
    }
}
