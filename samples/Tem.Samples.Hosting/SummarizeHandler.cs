using Microsoft.Extensions.Logging;

namespace Tem.Samples.Hosting;

/// <summary>
/// An instance handler: its dependencies come from the container. The generated
/// <c>TemHandlers.CreateRegistry(IServiceProvider)</c> resolves it once per task, with a plain
/// <c>GetService(typeof(SummarizeHandler))</c> (no reflection over constructors), so it must be registered.
/// </summary>
public sealed class SummarizeHandler(IModelClient model, ILogger<SummarizeHandler> logger)
{
    /// <summary>Summarizes one document through the model; a transient error is retried with backoff.</summary>
    [TemHandler("summarize", MaxAttempts = 4, TimeoutSeconds = 30)]
    public async Task<Summary> Summarize(Document document, TaskContext context, CancellationToken cancellationToken)
    {
        var text = await model.SummarizeAsync(document.Id, document.Text, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Summarized {DocumentId} on attempt {Attempt}", document.Id, context.Attempt);
        return new Summary(document.Id, text, context.Attempt);
    }
}
