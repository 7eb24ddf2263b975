using Tem.Execution;
using Tem.Llm;
using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>
/// The submit step: claims pending tasks the batch API takes (routes), builds their requests, splits them by batch,
/// type and model and by the endpoint's line and byte limits, and records each part as a submission before anything
/// is sent. A crash before the record leaves claims whose short lease expires: lost-run recovery returns them.
/// </summary>
internal sealed class SubmissionPacker(WorkerContext context, IProviderSubmissionStore submissions, IReadOnlyDictionary<string, LlmTaskEntry> tasks, ClaimScope scope)
{
    /// <summary>How long a task inside a provider batch is held: the provider's 24 h window, and slack for a late poll.</summary>
    public static readonly TimeSpan TaskLease = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a claim may take to become a submission: building and recording 50,000 requests on a loaded machine can
    /// outlast a short worker lease, and a claim recovered under the packer's feet would be packed again forever. A crash
    /// in between returns the tasks after this long (at once with <see cref="BatchService.ResumeAsync"/>, the owner being gone).
    /// </summary>
    private static readonly TimeSpan MinimumClaimLease = TimeSpan.FromMinutes(2);

    private readonly string[] _types = [.. tasks.Keys.Order(StringComparer.Ordinal)];
    private readonly string _owner = "pb-claim:" + context.Identity.Owner;

    /// <summary>Packs one claim's worth; returns the submissions recorded, with their lines packed (so the first upload need not rebuild them).</summary>
    public async Task<IReadOnlyList<(string Nonce, PackedLines Lines)>> PackOnceAsync(CancellationToken cancellationToken)
    {
        var limit = tasks.Values.Min(t => t.Endpoint.MaxLinesPerBatch);
        var claimed = await context.Store.ClaimAsync(_owner, _types, scope with { ForSubmission = true }, limit,
            context.Options.LeaseDuration > MinimumClaimLease ? context.Options.LeaseDuration : MinimumClaimLease, cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return [];
        }

        var groups = new Dictionary<(long Batch, string Type, string Model), List<(ClaimedTask Task, byte[] Body)>>();
        var failed = new List<TaskOutcome>();
        foreach (var task in claimed)
        {
            var entry = tasks[task.Type];
            try
            {
                var request = entry.Build(task.Payload);
                var key = (task.BatchId, task.Type, request.Model);
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                }

                list.Add((task, LlmWire.Body(entry.Endpoint.Provider, request)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A payload that builds no request fails the same way every time.
                failed.Add(new TaskOutcome(task.Id, task.BatchId, task.Version, OutcomeKind.Failed, null, $"BuildRequest failed: {ex.GetType().Name}: {ex.Message}", TimeSpan.Zero));
            }
        }

        if (failed.Count > 0)
        {
            await context.Store.ApplyOutcomesAsync(failed, cancellationToken).ConfigureAwait(false);
        }

        var recorded = new List<(string, PackedLines)>();
        foreach (var ((batchId, type, model), lines) in groups)
        {
            var endpoint = tasks[type].Endpoint;
            foreach (var part in Split(endpoint, lines))
            {
                var nonce = Guid.NewGuid().ToString("N");
                var packed = PackedLines.Pack(endpoint.Provider, [.. part.Select(l => (CustomIds.Of(l.Task.Id, l.Task.Attempt), l.Body))]);
                var (_, taken) = await submissions.RecordSubmissionAsync(
                    new NewSubmission(batchId, nonce, endpoint.Provider.ToString(), model, type, _owner, [.. part.Select(l => l.Task)]), TaskLease, cancellationToken).ConfigureAwait(false);
                if (taken == part.Count)
                {
                    recorded.Add((nonce, packed));
                }

                await ProviderBatchStops.ReachedAsync("claimed").ConfigureAwait(false);
            }
        }

        return recorded;
    }

    /// <summary>Parts within the endpoint's line and byte limits, in claim order.</summary>
    private static IEnumerable<List<(ClaimedTask Task, byte[] Body)>> Split(LlmEndpoint endpoint, List<(ClaimedTask Task, byte[] Body)> lines)
    {
        var part = new List<(ClaimedTask, byte[])>();
        long bytes = 0;
        foreach (var line in lines)
        {
            var size = PackedLines.LineBytes(endpoint.Provider, CustomIds.Of(line.Task.Id, line.Task.Attempt), line.Body);
            if (part.Count > 0 && (part.Count >= endpoint.MaxLinesPerBatch || bytes + size > endpoint.MaxBytesPerBatch))
            {
                yield return part;
                part = [];
                bytes = 0;
            }

            part.Add(line);
            bytes += size;
        }

        if (part.Count > 0)
        {
            yield return part;
        }
    }
}
