namespace Tem.Samples;

/// <summary>
/// The LLM samples' batch flow, shared by the OpenAI and Anthropic samples (linked, not copied): resume the batch,
/// enqueue documents 1..N (odd ones to classify, even ones to rewrite, keyed doc-N so a re-run adds nothing), run
/// it to its end and print its last line, <c>batch &lt;code&gt;: &lt;status&gt;, completed N, failed N, pending N</c>
/// (with <c>--price</c> or <c>--max-cost</c>, followed by <c>, spent $X of $Y</c>).
/// </summary>
public static class DocumentBatchRun
{
    /// <summary>Runs the batch named <paramref name="batchName"/> of <paramref name="count"/> documents to its end.</summary>
    /// <typeparam name="TPayload">The sample's document payload (each sample's generator emits its own task types).</typeparam>
    /// <param name="tem">The opened engine.</param>
    /// <param name="batchName">The batch's name; the same --db and name resume it.</param>
    /// <param name="count">How many documents.</param>
    /// <param name="classify">The task type for odd-numbered documents.</param>
    /// <param name="rewrite">The task type for even-numbered documents.</param>
    /// <param name="document">Makes document n's payload.</param>
    /// <param name="numberOf">Reads a payload's document number (its idempotency key is doc-N).</param>
    /// <param name="arguments">The command line: <c>--max-cost</c> becomes the batch's budget; either spend flag puts spend on the last line.</param>
    public static async Task RunAsync<TPayload>(TemEngine tem, string batchName, int count,
        TaskType<TPayload> classify, TaskType<TPayload> rewrite, Func<int, TPayload> document, Func<TPayload, int> numberOf, SampleArguments? arguments = null)
    {
        var batch = await tem.Batches.GetOrCreateAsync(batchName, "documents");
        if (arguments?.MaxCost is { } maxCost)
        {
            // Before the resume: a batch stopped at its budget carries on when run again with a higher --max-cost.
            await tem.Batches.SetBudgetAsync(batch.Id, new BatchBudget { MaxCost = maxCost });
        }

        // First: an interrupted batch (quota or credit spent, key refused) takes no tasks until it is resumed.
        await tem.Batches.ResumeAsync(batch.Id); // carries on once the account is fixed
        var numbers = Enumerable.Range(1, count);
        // Claimed in document order, not type by type (the claim takes the highest priority, then the oldest): each
        // model has calls in flight from the start, so each model's limits pace its own share at once. Type by type, the
        // rewrites would wait for every classification to be claimed, and the batch would take the sum of both models'
        // times instead of the longer one (19.5 s instead of 10 s at 20 a second per model).
        EnqueueOptions Keyed(TPayload payload) => new() { IdempotencyKey = $"doc-{numberOf(payload)}", Priority = -numberOf(payload) };
        await tem.Tasks.EnqueueManyAsync(batch.Id, classify, numbers.Where(n => n % 2 == 1).Select(document), Keyed);
        await tem.Tasks.EnqueueManyAsync(batch.Id, rewrite, numbers.Where(n => n % 2 == 0).Select(document), Keyed);

        await tem.Worker.StartAsync();
        var stats = await tem.WaitForBatchAsync(batch.Id);
        await tem.Worker.StopAsync();
        batch = await tem.Batches.GetAsync(batch.Id);
        foreach (var interruption in (await tem.Batches.GetInterruptionsAsync(batch.Id)).TakeLast(1))
        {
            Console.WriteLine($"interrupted: {interruption.Reason}");
        }

        var line = $"batch {batch.Code}: {batch.Status.ToString().ToLowerInvariant()}, completed {stats.Completed}, failed {stats.Failed}, pending {stats.Pending}";
        if (arguments is { ShowsSpend: true })
        {
            var spend = await tem.Batches.GetSpendAsync(batch.Id);
            line += $", spent ${SamplePrices.Format(spend.Cost)}" + (spend.MaxCost is { } max ? $" of ${SamplePrices.Format(max)}" : "");
        }

        Console.WriteLine(line);
    }
}
