using Tem;

namespace Quickstart;

/// <summary>What the handler gets: one document to rewrite.</summary>
public sealed record RewritePayload(string DocumentId, string Text);

/// <summary>What the handler returns, stored with the task.</summary>
public sealed record RewriteResult(string DocumentId, string Rewritten, int Tokens);

/// <summary>Holds what the handler needs (an HttpClient, an API key...); the registry asks a factory for one per task.</summary>
public sealed class Rewriter(SimulatedModel model)
{
    /// <summary>Task type "rewrite": the generator makes it TemTasks.Rewrite ("follow-up" would be TemTasks.FollowUp).</summary>
    [TemHandler("rewrite", MaxAttempts = 4)]
    public async Task<RewriteResult> Rewrite(RewritePayload payload, TaskContext context, CancellationToken cancellationToken)
    {
        var text = await model.CompleteAsync(payload.DocumentId, payload.Text, context.Attempt, cancellationToken);
        return new RewriteResult(payload.DocumentId, text, payload.Text.Length / 4);
    }
}

/// <summary>Stands in for an LLM API: 20–200 ms, about 10% transient errors that clear on a retry, a few permanent ones.</summary>
public sealed class SimulatedModel
{
    /// <summary>Returns the "rewritten" text, or throws the way a provider's client would.</summary>
    public async Task<string> CompleteAsync(string documentId, string text, int attempt, CancellationToken cancellationToken)
    {
        await Task.Delay(Random.Shared.Next(20, 201), cancellationToken);
        if (documentId.EndsWith("99", StringComparison.Ordinal))
        {
            throw new NonRetryableException($"Document {documentId} is longer than the model's context window.");
        }

        // Transient, as a provider's 503 is: it clears by the third attempt, so every run ends with the same totals.
        if (attempt <= 2 && Random.Shared.NextDouble() < 0.10)
        {
            throw new HttpRequestException($"503 Service Unavailable (simulated) on attempt {attempt}."); // retried
        }

        return text.ToUpperInvariant();
    }
}
