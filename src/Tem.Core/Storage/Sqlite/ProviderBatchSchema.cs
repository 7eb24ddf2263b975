namespace Tem.Storage;

/// <summary>
/// The schema step of issue 24 (routes and provider-batch submissions), kept in one place so it can be renumbered
/// when the migrations before it change: <see cref="Version"/> is the version it migrates to.
/// </summary>
internal static class ProviderBatchSchema
{
    /// <summary>The schema version that adds routes and submissions (the step from <c>Version − 1</c>).</summary>
    public const int Version = 8;

    /// <summary>
    /// <c>batch.route</c>; a submission per provider batch with its own lease (one worker drives it at a time), and the
    /// claim (task + version + attempt) of each task it carries, recorded before anything is sent.
    /// </summary>
    public const string Sqlite = """
        ALTER TABLE batch ADD COLUMN route TEXT NOT NULL DEFAULT 'live' CHECK (route IN ('live', 'batch', 'auto'));

        CREATE TABLE provider_submission (
            id                INTEGER PRIMARY KEY,
            batch_id          INTEGER NOT NULL REFERENCES batch (id),
            nonce             TEXT    NOT NULL UNIQUE,
            provider          TEXT    NOT NULL,
            model             TEXT    NOT NULL,
            task_type         TEXT    NOT NULL,
            state             TEXT    NOT NULL CHECK (state IN ('claimed', 'uploaded', 'creating', 'submitted', 'done')),
            line_count        INTEGER NOT NULL DEFAULT 0,
            input_file_id     TEXT,
            provider_batch_id TEXT,
            provider_status   TEXT,
            create_sent_at    INTEGER,
            polls             INTEGER NOT NULL DEFAULT 0,
            poll_after        INTEGER NOT NULL,
            lease_owner       TEXT,
            lease_expires_at  INTEGER,
            created_at        INTEGER NOT NULL,
            ended_at          INTEGER
        );
        CREATE INDEX provider_submission_open ON provider_submission (poll_after, id) WHERE state <> 'done';
        CREATE INDEX provider_submission_batch ON provider_submission (batch_id, id);

        CREATE TABLE provider_submission_task (
            submission_id INTEGER NOT NULL REFERENCES provider_submission (id),
            task_id       INTEGER NOT NULL REFERENCES task (id),
            version       INTEGER NOT NULL,
            attempt       INTEGER NOT NULL,
            PRIMARY KEY (submission_id, task_id)
        ) WITHOUT ROWID;
        """;
}
