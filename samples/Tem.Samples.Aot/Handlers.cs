using System.Text.Json.Serialization;
using Tem;

// Tem takes the JSON metadata of the types this context covers from it (checked at compile time, TEM008);
// for the others (NotifyPayload here) Tem emits the metadata itself, in Tem.Samples.Aot.TemJsonContext.
[assembly: TemJsonContext(typeof(Tem.Samples.Aot.SampleJsonContext))]

namespace Tem.Samples.Aot;

/// <summary>A text to rewrite.</summary>
public sealed record RewritePayload(string Text, int MaxTokens);

/// <summary>What the rewrite produced.</summary>
public sealed record RewriteResult(string Text, int Attempt);

/// <summary>Someone to tell that a batch is done.</summary>
public sealed record NotifyPayload(string Recipient);

[JsonSerializable(typeof(RewritePayload))]
[JsonSerializable(typeof(RewriteResult))]
internal sealed partial class SampleJsonContext : JsonSerializerContext
{
}

/// <summary>The sample's handlers; the generator turns them into <c>TemTasks</c> and <c>TemHandlers.Registry</c>.</summary>
public static class SampleHandlers
{
    /// <summary>Pretends to call an LLM: upper-cases the text after a short delay.</summary>
    [TemHandler("rewrite", MaxAttempts = 5, TimeoutSeconds = 120)]
    public static async Task<RewriteResult> Rewrite(RewritePayload payload, TaskContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        var text = payload.Text.Length > payload.MaxTokens ? payload.Text[..payload.MaxTokens] : payload.Text;
        return new RewriteResult(text.ToUpperInvariant(), context.Attempt);
    }

    /// <summary>Has no result.</summary>
    [TemHandler("notify", Priority = 1)]
    public static ValueTask Notify(NotifyPayload payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Console.WriteLine($"notify {payload.Recipient}");
        return ValueTask.CompletedTask;
    }
}
