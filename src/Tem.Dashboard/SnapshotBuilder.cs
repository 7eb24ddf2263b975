namespace Tem.Dashboard;

/// <summary>Builds what a page shows from the sampler's latest read, adding the few reads a batch page needs.</summary>
internal sealed class SnapshotBuilder(DashboardContext dashboard)
{
    /// <summary>How many batches the overview lists (newest first).</summary>
    public const int OverviewBatches = 100;

    /// <summary>How many running tasks a batch page lists; the concurrency bound keeps the real number near this or below.</summary>
    public const int RunningShown = 100;

    /// <summary>How many failed tasks a batch page groups by error.</summary>
    public const int FailedScanned = 2_000;

    private BatchStats? _detailFor;
    private ErrorGroup[] _errors = [];
    private InterruptionRow[] _interruptions = [];
    private BatchStatus? _statusFor;

    public OverviewSnapshot Overview()
    {
        var state = dashboard.Sampler.Latest;
        var rows = state.Batches.Reverse().Take(OverviewBatches).Select(b => b.ToRow()).ToArray();
        return new OverviewSnapshot(state.NowMs, rows, dashboard.Sampler.OverallSeries, dashboard.Pacing, dashboard.Worker, state.Problem,
            WorkersPanel.Rows(state), WorkersPanel.Unhandled(state), WorkersPanel.SharedLimits(state));
    }

    /// <summary>The batch page's snapshot, or null when the batch does not exist.</summary>
    public async Task<BatchSnapshot?> BatchAsync(long batchId, CancellationToken cancellationToken)
    {
        var state = dashboard.Sampler.Latest;
        var sample = state.Find(batchId);
        if (sample is null)
        {
            return null;
        }

        var tem = dashboard.Engine;
        var types = sample.Types.Select(t => new TypeRow(t.Type, Counts.From(t.Stats), t.RateLimitDeferrals)).ToArray();
        var running = sample.Stats.Running == 0 ? [] : await tem.Tasks.ListAsync(
            new TaskQuery { BatchId = batchId, Status = TemTaskStatus.Running, Limit = RunningShown }, cancellationToken).ConfigureAwait(false);

        // Failed tasks and interruptions change only with the counts or the status: read them again only then.
        if (_detailFor != sample.Stats || _statusFor != sample.Batch.Status)
        {
            _errors = await GroupFailuresAsync(tem, batchId, sample.Stats.Failed, cancellationToken).ConfigureAwait(false);
            _interruptions = [.. (await tem.Batches.GetInterruptionsAsync(batchId, cancellationToken).ConfigureAwait(false))
                .Select(i => new InterruptionRow(i.Reason, i.At.ToUnixTimeMilliseconds(), Counts.From(i.Stats)))];
            _detailFor = sample.Stats;
            _statusFor = sample.Batch.Status;
        }

        return new BatchSnapshot(state.NowMs, sample.ToRow(), types, dashboard.Sampler.SeriesOf(batchId),
            [.. running.Select(t => new RunningRow(t.Id, t.Type, t.Attempt, t.MaxAttempts, t.ClaimedAt?.ToUnixTimeMilliseconds(), t.LeaseOwner))],
            Math.Min(sample.Stats.Running, RunningShown), _errors, Math.Min(sample.Stats.Failed, FailedScanned), _interruptions,
            dashboard.Pacing, dashboard.Worker, state.Problem, WorkersPanel.SharedLimits(state));
    }

    private static async Task<ErrorGroup[]> GroupFailuresAsync(TemEngine tem, long batchId, long failed, CancellationToken cancellationToken)
    {
        if (failed == 0)
        {
            return [];
        }

        var groups = new Dictionary<string, (long Count, List<long> Examples)>(StringComparer.Ordinal);
        long after = 0, seen = 0;
        while (seen < FailedScanned)
        {
            var page = await tem.Tasks.ListAsync(new TaskQuery
            {
                BatchId = batchId, Status = TemTaskStatus.Failed, AfterId = after, Limit = (int)Math.Min(500, FailedScanned - seen),
            }, cancellationToken).ConfigureAwait(false);
            foreach (var task in page)
            {
                var error = task.Error ?? "(no error text)";
                if (!groups.TryGetValue(error, out var group))
                {
                    group = (0, []);
                }

                if (group.Examples.Count < 5)
                {
                    group.Examples.Add(task.Id);
                }

                groups[error] = (group.Count + 1, group.Examples);
                after = task.Id;
            }

            seen += page.Count;
            if (page.Count < 500)
            {
                break;
            }
        }

        return [.. groups.OrderByDescending(g => g.Value.Count).ThenBy(g => g.Value.Examples[0])
            .Select(g => new ErrorGroup(g.Key, g.Value.Count, [.. g.Value.Examples]))];
    }
}
