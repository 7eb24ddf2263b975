namespace Tem.Storage;

/// <summary>
/// The store's side of provider batches (issue 24): each Tem batch's route, and the submissions that carry its tasks
/// to a provider's batch API, each step recorded before its effect can be lost (docs/provider-batches.md). Every
/// change to a submission is conditional on holding its lease, so one worker drives a submission at a time.
/// </summary>
internal interface IProviderSubmissionStore
{
    /// <summary>Sets the batch's route; false when no batch has the id.</summary>
    ValueTask<bool> SetRouteAsync(long batchId, LlmRoute route, CancellationToken cancellationToken);

    /// <summary>The batch's route; null when no batch has the id.</summary>
    ValueTask<LlmRoute?> GetRouteAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Records a submission (state <c>claimed</c>) and hands its tasks from the claim to it: owner <c>pb:&lt;nonce&gt;</c>
    /// with <paramref name="taskLease"/>, only where the claim still holds (same version, still running). Returns the
    /// submission's id and how many tasks it took; a submission that took none is recorded as done.
    /// </summary>
    ValueTask<(long Id, int Tasks)> RecordSubmissionAsync(NewSubmission submission, TimeSpan taskLease, CancellationToken cancellationToken);

    /// <summary>Leases one submission that is not done, is due for its next step and whose lease is free or expired; null when none.</summary>
    ValueTask<SubmissionRow?> LeaseSubmissionAsync(string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>The submission's tasks as recorded (claim version and attempt), with their payload and batch.</summary>
    ValueTask<IReadOnlyList<SubmissionTask>> GetSubmissionTasksAsync(long submissionId, CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="step"/> while <paramref name="owner"/> holds the submission's lease; false when it no longer does.</summary>
    ValueTask<bool> AdvanceSubmissionAsync(long submissionId, string owner, SubmissionStep step, CancellationToken cancellationToken);

    /// <summary>Extends the lease <paramref name="owner"/> holds by <paramref name="lease"/> from now; false when it no longer holds it.</summary>
    ValueTask<bool> RenewSubmissionLeaseAsync(long submissionId, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>The batch's submissions, oldest first.</summary>
    ValueTask<IReadOnlyList<ProviderBatchInfo>> ListSubmissionsAsync(long batchId, CancellationToken cancellationToken);
}

/// <summary>A submission to record: its tasks' claims (made by <c>ClaimOwner</c>), and what every line of it shares (batch, type, provider, model).</summary>
internal sealed record NewSubmission(long BatchId, string Nonce, string Provider, string Model, string TaskType, string ClaimOwner, IReadOnlyList<ClaimedTask> Tasks);

/// <summary>A submission as the store holds it.</summary>
internal sealed record SubmissionRow(
    long Id, long BatchId, string Nonce, string Provider, string Model, string TaskType, string State, int LineCount,
    string? InputFileId, string? ProviderBatchId, long? CreateSentAtMs, int Polls, long NowMs);

/// <summary>One task of a submission: the claim its line belongs to.</summary>
internal sealed record SubmissionTask(long TaskId, long BatchId, long Version, int Attempt, int MaxAttempts, string Payload)
{
    /// <summary>The line's <c>custom_id</c>: the task and its attempt.</summary>
    public string CustomId => CustomIds.Of(TaskId, Attempt);
}

/// <summary>
/// A submission's next state and what it learned on the way there (null fields keep their value). <paramref name="PollAfter"/>
/// is when it is due again, from the store's clock; <paramref name="Release"/> drops the lease.
/// </summary>
internal sealed record SubmissionStep(string State, TimeSpan PollAfter, bool Release)
{
    public string? InputFileId { get; init; }

    public string? ProviderBatchId { get; init; }

    public string? ProviderStatus { get; init; }

    /// <summary>Stamps the create's send time (before the create is sent), so recovery knows since when to look.</summary>
    public bool StampCreateSent { get; init; }

    /// <summary>While the lease is kept (not <see cref="Release"/>): it is renewed for this long.</summary>
    public TimeSpan Lease { get; init; }

    /// <summary>Counts a poll (the backoff grows with it).</summary>
    public bool CountPoll { get; init; }
}

/// <summary>Line ids: <c>t&lt;task&gt;a&lt;attempt&gt;</c>, within both providers' <c>^[a-zA-Z0-9_-]{1,64}$</c>.</summary>
internal static class CustomIds
{
    public static string Of(long taskId, int attempt)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"t{taskId}a{attempt}");

    public static bool TryParse(string customId, out long taskId, out int attempt)
    {
        taskId = 0;
        attempt = 0;
        var a = customId.IndexOf('a', StringComparison.Ordinal);
        return customId.Length > 3 && customId[0] == 't' && a > 1
            && long.TryParse(customId.AsSpan(1, a - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out taskId)
            && int.TryParse(customId.AsSpan(a + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out attempt);
    }
}
