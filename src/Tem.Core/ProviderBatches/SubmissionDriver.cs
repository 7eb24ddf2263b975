using System.Collections.Concurrent;
using Tem.Execution;
using Tem.Llm;
using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>
/// Drives one leased submission through its steps — upload, create, poll, download — recording each before the next
/// can be lost (docs/provider-batches.md). Every write is conditional on the lease, so a worker that lost it stops;
/// every line's outcome is conditional on the task's claim, so a download applied twice changes nothing.
/// </summary>
internal sealed class SubmissionDriver(WorkerContext context, IProviderSubmissionStore submissions, IReadOnlyDictionary<string, LlmTaskEntry> tasks,
    Func<LlmTaskEntry, IProviderBatchApi> apis, ConcurrentDictionary<string, PackedLines> packed)
{
    private const int OutcomeChunk = 2_000;
    private readonly string _owner = "pb-driver:" + context.Identity.Owner;

    /// <summary>The submission lease: long enough for one step; each recorded step renews it.</summary>
    public TimeSpan Lease => context.Options.LeaseDuration;

    /// <summary>Takes one due submission and moves it on; false when none was due or it is still running at the provider.</summary>
    public async Task<bool> DriveOnceAsync(CancellationToken ct)
    {
        var s = await submissions.LeaseSubmissionAsync(_owner, Lease, ct).ConfigureAwait(false);
        if (s is null)
        {
            return false;
        }

        if (!tasks.TryGetValue(s.TaskType, out var entry))
        {
            // Another process registered this type; leave the submission to it.
            await AdvanceAsync(s, s.State, TimeSpan.FromSeconds(5), release: true, ct).ConfigureAwait(false);
            return false;
        }

        var api = apis(entry);
        using var stepDone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keeper = KeepLeaseAsync(s, stepDone.Token);
        try
        {
            return await StepAsync(s, entry, api, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or ProviderBatchException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Log.ProviderBatchStepFailed(context.Logger, s.Nonce, s.State, ex.Message);
            await AdvanceAsync(s, s.State, Backoff(entry, s.Polls), release: true, ct, countPoll: true).ConfigureAwait(false);
            return false;
        }
        finally
        {
            await stepDone.CancelAsync().ConfigureAwait(false);
            await keeper.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Renews the lease every third of its length while a step runs: an upload or download may take longer than the
    /// lease, and a step whose lease lapsed would be redone by another worker (and by this one) forever.
    /// </summary>
    private async Task KeepLeaseAsync(SubmissionRow s, CancellationToken stepDone)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Lease / 3, context.Time, stepDone).ConfigureAwait(false);
                if (!await submissions.RenewSubmissionLeaseAsync(s.Id, _owner, Lease, stepDone).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is TemException)
        {
            Log.ProviderBatchStepFailed(context.Logger, s.Nonce, s.State, "lease renewal failed: " + ex.Message);
        }
    }

    private async Task<bool> StepAsync(SubmissionRow s, LlmTaskEntry entry, IProviderBatchApi api, CancellationToken ct)
    {
        var batch = await context.Store.GetBatchAsync(s.BatchId, ct).ConfigureAwait(false);
        if (batch?.Status == BatchStatus.Cancelled)
        {
            // Its tasks are cancelled already (late results are rejected by their claim); stop paying for the rest.
            if (s.ProviderBatchId is { } id)
            {
                await api.CancelAsync(id, ct).ConfigureAwait(false);
            }

            await AdvanceAsync(s, "done", TimeSpan.Zero, release: true, ct).ConfigureAwait(false);
            return true;
        }

        var state = s.State;
        var fileId = s.InputFileId;
        var providerBatchId = s.ProviderBatchId;
        if (state is "claimed" or "uploaded")
        {
            var lines = packed.TryGetValue(s.Nonce, out var cached) ? cached : PackedLines.Rebuild(entry, await submissions.GetSubmissionTasksAsync(s.Id, ct).ConfigureAwait(false));
            if (state == "claimed" && api.Uploads)
            {
                fileId = await api.UploadAsync(s, lines, ct).ConfigureAwait(false);
                await ProviderBatchStops.ReachedAsync("uploaded").ConfigureAwait(false);
                if (!await AdvanceAsync(s, "uploaded", TimeSpan.Zero, release: false, ct, file: fileId).ConfigureAwait(false))
                {
                    return false;
                }

                await ProviderBatchStops.ReachedAsync("upload-recorded").ConfigureAwait(false);
            }

            // Recorded before the create is sent: from here on, recovery looks for the batch before creating one.
            if (!await AdvanceAsync(s, "creating", TimeSpan.Zero, release: false, ct, stampCreate: true).ConfigureAwait(false))
            {
                return false;
            }

            providerBatchId = await api.CreateAsync(s, fileId, lines, ct).ConfigureAwait(false);
            packed.TryRemove(s.Nonce, out _);
            await ProviderBatchStops.ReachedAsync("create-sent").ConfigureAwait(false);
        }
        else if (state == "creating")
        {
            providerBatchId = await api.FindAsync(s, DateTimeOffset.FromUnixTimeMilliseconds(s.CreateSentAtMs ?? s.NowMs), ct).ConfigureAwait(false);
            if (providerBatchId is null)
            {
                // The create never took effect: send it now (the state stays 'creating', its send time renewed).
                var lines = PackedLines.Rebuild(entry, await submissions.GetSubmissionTasksAsync(s.Id, ct).ConfigureAwait(false));
                if (!await AdvanceAsync(s, "creating", TimeSpan.Zero, release: false, ct, stampCreate: true).ConfigureAwait(false))
                {
                    return false;
                }

                providerBatchId = await api.CreateAsync(s, fileId, lines, ct).ConfigureAwait(false);
            }
        }

        if (state != "submitted")
        {
            if (!await AdvanceAsync(s, "submitted", entry.Endpoint.PollInterval, release: true, ct, providerBatch: providerBatchId).ConfigureAwait(false))
            {
                return false;
            }

            return true;
        }

        await ProviderBatchStops.ReachedAsync("polling").ConfigureAwait(false);
        var (status, ended) = await api.GetAsync(providerBatchId!, ct).ConfigureAwait(false);
        if (!ended)
        {
            await AdvanceAsync(s, "submitted", Backoff(entry, s.Polls), release: true, ct, status: status, countPoll: true).ConfigureAwait(false);
            return false;
        }

        await DownloadAsync(s, entry, api, providerBatchId!, ct).ConfigureAwait(false);
        await AdvanceAsync(s, "done", TimeSpan.Zero, release: true, ct, status: status).ConfigureAwait(false);
        return true;
    }

    private async Task DownloadAsync(SubmissionRow s, LlmTaskEntry entry, IProviderBatchApi api, string providerBatchId, CancellationToken ct)
    {
        var lines = (await submissions.GetSubmissionTasksAsync(s.Id, ct).ConfigureAwait(false)).ToDictionary(t => t.CustomId, StringComparer.Ordinal);
        var outcomes = new List<TaskOutcome>(OutcomeChunk);
        var first = true;
        await foreach (var line in api.ReadResultsAsync(providerBatchId, ct).ConfigureAwait(false))
        {
            if (!lines.Remove(line.CustomId, out var task))
            {
                continue; // not ours, or already seen in the other file
            }

            outcomes.Add(Judge(entry, task, line));
            if (outcomes.Count >= OutcomeChunk)
            {
                await FlushAsync(s, outcomes, ct).ConfigureAwait(false);
                if (first)
                {
                    first = false;
                    await ProviderBatchStops.ReachedAsync("downloading").ConfigureAwait(false);
                }
            }
        }

        // Lines the provider never answered for did not run.
        foreach (var task in lines.Values)
        {
            outcomes.Add(Judge(entry, task, new LineResult(task.CustomId, null, null)));
        }

        await FlushAsync(s, outcomes, ct).ConfigureAwait(false);
    }

    private async Task FlushAsync(SubmissionRow s, List<TaskOutcome> outcomes, CancellationToken ct)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        await context.Store.ApplyOutcomesAsync(outcomes, ct).ConfigureAwait(false);
        outcomes.Clear();
        await AdvanceAsync(s, "submitted", TimeSpan.Zero, release: false, ct).ConfigureAwait(false); // renews the lease
    }

    private TaskOutcome Judge(LlmTaskEntry entry, SubmissionTask task, LineResult line)
    {
        if (line.Response is { } response)
        {
            try
            {
                return new TaskOutcome(task.TaskId, task.BatchId, task.Version, OutcomeKind.Completed, entry.Read(task.Payload, response), null, TimeSpan.Zero);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return RetryOrFail(task, $"ReadResponse failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return RetryOrFail(task, line.Error ?? "The provider batch ended before this line ran (expired or cancelled); it runs again by the batch's route.", line.Error is null);
    }

    private TaskOutcome RetryOrFail(SubmissionTask task, string error, bool now = false)
    {
        if (task.Attempt >= task.MaxAttempts)
        {
            return new TaskOutcome(task.TaskId, task.BatchId, task.Version, OutcomeKind.Failed, null, error, TimeSpan.Zero);
        }

        var delay = now ? TimeSpan.Zero : context.Options.Retry.DelayAfter(task.Attempt, Random.Shared.NextDouble());
        return new TaskOutcome(task.TaskId, task.BatchId, task.Version, OutcomeKind.Retry, null, error, delay);
    }

    private static TimeSpan Backoff(LlmTaskEntry entry, int polls)
    {
        var ticks = entry.Endpoint.PollInterval.Ticks * Math.Pow(2, Math.Min(polls, 16));
        return TimeSpan.FromTicks((long)Math.Min(ticks, entry.Endpoint.MaxPollInterval.Ticks));
    }

    private ValueTask<bool> AdvanceAsync(SubmissionRow s, string state, TimeSpan pollAfter, bool release, CancellationToken ct,
        string? file = null, string? providerBatch = null, string? status = null, bool stampCreate = false, bool countPoll = false)
        => submissions.AdvanceSubmissionAsync(s.Id, _owner, new SubmissionStep(state, pollAfter, release)
        {
            InputFileId = file, ProviderBatchId = providerBatch, ProviderStatus = status, StampCreateSent = stampCreate, CountPoll = countPoll, Lease = Lease,
        }, ct);
}
