using System.Diagnostics;
using Tem;

namespace TelemetrySample;

public sealed record Summarize(int Id, string Text);

public sealed record Summary(int Id, string Text);

public static class Handlers
{
    /// <summary>Stands for the LLM client: its spans (Tem.AI's GenAI spans, an HttpClient's) are children of Tem's run span.</summary>
    public static readonly ActivitySource Llm = new("TelemetrySample.Llm");

    [TemHandler("summarize", MaxAttempts = 3)]
    public static async Task<Summary> SummarizeAsync(Summarize payload, CancellationToken cancellationToken)
    {
        using var call = Llm.StartActivity("chat sample-model", ActivityKind.Client);
        call?.SetTag("gen_ai.operation.name", "chat");
        await Task.Delay(20, cancellationToken);
        return new Summary(payload.Id, payload.Text.Length > 12 ? payload.Text[..12] + "…" : payload.Text);
    }
}
