using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>The SQLite statements of routes and provider-batch submissions (issue 24). Times come from the write's clock.</summary>
internal static class SqliteSubmissionStatements
{
    private const string InsertSubmission = """
        INSERT INTO provider_submission (batch_id, nonce, provider, model, task_type, state, poll_after, created_at)
        VALUES ($batch, $nonce, $provider, $model, $type, 'claimed', $now, $now) RETURNING id;
        """;

    // The claim passes to the submission only where it still holds: still running under the claim's owner (one packer
    // per process claims and records in turn, so that owner holds no other claim of these rows). The version stays, so
    // each line's outcome matches the claim. Set-based: 50,000 rows in two statements.
    private const string HandOver = """
        UPDATE task SET lease_owner = $owner, lease_expires_at = $now + $lease
        WHERE id IN (SELECT value FROM json_each($ids)) AND status = 'running' AND lease_owner = $claimOwner;
        """;

    private const string InsertTasks = """
        INSERT INTO provider_submission_task (submission_id, task_id, version, attempt)
        SELECT $submission, id, version, attempt FROM task WHERE id IN (SELECT value FROM json_each($ids)) AND lease_owner = $owner;
        """;

    private const string SetLines = """
        UPDATE provider_submission SET line_count = $lines, state = CASE WHEN $lines = 0 THEN 'done' ELSE state END,
            ended_at = CASE WHEN $lines = 0 THEN $now ELSE NULL END
        WHERE id = $submission;
        """;

    private const string Lease = """
        UPDATE provider_submission SET lease_owner = $owner, lease_expires_at = $now + $lease
        WHERE id = (SELECT id FROM provider_submission INDEXED BY provider_submission_open
                    WHERE state <> 'done' AND poll_after <= $now AND (lease_owner IS NULL OR lease_owner = $owner OR lease_expires_at < $now)
                    ORDER BY poll_after, id LIMIT 1)
        RETURNING id, batch_id, nonce, provider, model, task_type, state, line_count, input_file_id, provider_batch_id, create_sent_at, polls;
        """;

    private const string Advance = """
        UPDATE provider_submission SET state = $state,
            input_file_id = COALESCE($file, input_file_id),
            provider_batch_id = COALESCE($providerBatch, provider_batch_id),
            provider_status = COALESCE($providerStatus, provider_status),
            create_sent_at = CASE WHEN $stamp THEN $now ELSE create_sent_at END,
            polls = polls + $poll,
            poll_after = $now + $after,
            lease_owner = CASE WHEN $release THEN NULL ELSE lease_owner END,
            lease_expires_at = CASE WHEN $release THEN NULL ELSE $now + $lease END,
            ended_at = CASE WHEN $state = 'done' THEN $now ELSE ended_at END
        WHERE id = $id AND lease_owner = $owner AND lease_expires_at >= $now AND state <> 'done';
        """;

    public const string Renew = """
        UPDATE provider_submission SET lease_expires_at = $now + $lease
        WHERE id = $id AND lease_owner = $owner AND lease_expires_at >= $now AND state <> 'done';
        """;

    public const string Tasks = """
        SELECT s.task_id, t.batch_id, s.version, s.attempt, t.max_attempts, t.payload
        FROM provider_submission_task s JOIN task t ON t.id = s.task_id
        WHERE s.submission_id = $submission ORDER BY s.task_id;
        """;

    public const string List = """
        SELECT provider, model, state, provider_batch_id, provider_status, line_count, created_at, ended_at
        FROM provider_submission WHERE batch_id = $batch ORDER BY id;
        """;

    public static (long Id, int Tasks) Record(SqliteWrite write, NewSubmission submission, TimeSpan taskLease)
    {
        long id;
        using (var insert = write.Command(InsertSubmission, ("$batch", submission.BatchId), ("$nonce", submission.Nonce), ("$provider", submission.Provider),
            ("$model", submission.Model), ("$type", submission.TaskType), ("$now", write.NowMs)))
        {
            id = (long)insert.ExecuteScalar()!;
        }

        var owner = "pb:" + submission.Nonce;
        var json = System.Text.Json.JsonSerializer.Serialize(submission.Tasks.Select(t => t.Id).ToArray(), TemCoreJsonContext.Default.Int64Array);
        write.Execute(HandOver, ("$owner", owner), ("$now", write.NowMs), ("$lease", (long)taskLease.TotalMilliseconds), ("$ids", json), ("$claimOwner", submission.ClaimOwner));
        var taken = write.Execute(InsertTasks, ("$submission", id), ("$ids", json), ("$owner", owner));
        write.Execute(SetLines, ("$lines", taken), ("$now", write.NowMs), ("$submission", id));
        return (id, taken);
    }

    public static SubmissionRow? LeaseOne(SqliteWrite write, string owner, TimeSpan lease)
    {
        using var command = write.Command(Lease, ("$owner", owner), ("$now", write.NowMs), ("$lease", (long)lease.TotalMilliseconds));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SubmissionRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetInt32(7), Text(reader, 8), Text(reader, 9), reader.IsDBNull(10) ? null : reader.GetInt64(10), reader.GetInt32(11), write.NowMs)
            : null;
    }

    public static bool AdvanceOne(SqliteWrite write, long id, string owner, SubmissionStep step) => write.Execute(Advance,
        ("$id", id), ("$owner", owner), ("$now", write.NowMs), ("$state", step.State), ("$file", step.InputFileId), ("$providerBatch", step.ProviderBatchId),
        ("$providerStatus", step.ProviderStatus), ("$stamp", step.StampCreateSent ? 1 : 0), ("$poll", step.CountPoll ? 1 : 0),
        ("$after", (long)step.PollAfter.TotalMilliseconds), ("$release", step.Release ? 1 : 0), ("$lease", (long)step.Lease.TotalMilliseconds)) == 1;

    public static SubmissionTask ReadTask(SqliteDataReader reader)
        => new(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetString(5));

    public static ProviderBatchInfo ReadInfo(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), Text(reader, 3), Text(reader, 4), reader.GetInt32(5),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)));

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}
