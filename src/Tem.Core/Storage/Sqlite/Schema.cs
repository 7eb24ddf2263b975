using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>The schema, versioned by <c>PRAGMA user_version</c>; each migration runs once, in a transaction.</summary>
internal static class Schema
{
    /// <summary>The version this build writes. A file with a higher version is refused.</summary>
    public const int CurrentVersion = ProviderBatchSchema.Version;

    private static readonly string[] Migrations =
    [
        // v1
        """
        CREATE TABLE batch (
            id                    INTEGER PRIMARY KEY,
            code                  TEXT    NOT NULL UNIQUE,
            type                  TEXT    NOT NULL,
            status                TEXT    NOT NULL CHECK (status IN ('active', 'interrupted', 'cancelled', 'completed')),
            created_at            INTEGER NOT NULL,
            completed_at          INTEGER,
            metadata              TEXT,
            interruption_criteria TEXT,
            -- the counters below serve the interruption criteria; ResumeAsync and RetryFailedAsync reset them
            started_at            INTEGER,
            run_completed         INTEGER NOT NULL DEFAULT 0,
            run_failed            INTEGER NOT NULL DEFAULT 0,
            consecutive_failures  INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE batch_interruption (
            id         INTEGER PRIMARY KEY,
            batch_id   INTEGER NOT NULL REFERENCES batch (id),
            reason     TEXT    NOT NULL,
            created_at INTEGER NOT NULL,
            pending    INTEGER NOT NULL,
            running    INTEGER NOT NULL,
            completed  INTEGER NOT NULL,
            failed     INTEGER NOT NULL,
            cancelled  INTEGER NOT NULL
        );

        CREATE TABLE task (
            id                    INTEGER PRIMARY KEY,
            batch_id              INTEGER NOT NULL REFERENCES batch (id),
            type                  TEXT    NOT NULL,
            status                TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
            payload               TEXT    NOT NULL,
            result                TEXT,
            error                 TEXT,
            attempt               INTEGER NOT NULL DEFAULT 0,
            max_attempts          INTEGER NOT NULL,
            priority              INTEGER NOT NULL DEFAULT 0,
            run_after             INTEGER NOT NULL,
            lease_owner           TEXT,
            lease_expires_at      INTEGER,
            claimed_at            INTEGER,
            completed_at          INTEGER,
            created_at            INTEGER NOT NULL,
            version               INTEGER NOT NULL DEFAULT 0,
            idempotency_key       TEXT,
            rate_limit_deferrals  INTEGER NOT NULL DEFAULT 0
        );

        -- Only claimable rows are indexed, so claim cost does not grow with finished tasks.
        CREATE INDEX task_claimable ON task (priority DESC, id, run_after, type, batch_id) WHERE status = 'pending';
        CREATE INDEX task_batch_status ON task (batch_id, status);
        CREATE INDEX task_running_lease ON task (lease_expires_at) WHERE status = 'running';
        CREATE UNIQUE INDEX task_idempotency ON task (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        """,

        // v2: 'staged' rows (a large enqueue inserted in chunks, made pending at once when the call ends) and worker
        // heartbeats (ResumeAsync takes only what a dead worker held). SQLite cannot change a CHECK constraint, so the
        // task table is rebuilt; nothing references it.
        """
        CREATE TABLE task_v2 (
            id                    INTEGER PRIMARY KEY,
            batch_id              INTEGER NOT NULL REFERENCES batch (id),
            type                  TEXT    NOT NULL,
            status                TEXT    NOT NULL CHECK (status IN ('staged', 'pending', 'running', 'completed', 'failed', 'cancelled')),
            payload               TEXT    NOT NULL,
            result                TEXT,
            error                 TEXT,
            attempt               INTEGER NOT NULL DEFAULT 0,
            max_attempts          INTEGER NOT NULL,
            priority              INTEGER NOT NULL DEFAULT 0,
            run_after             INTEGER NOT NULL,
            lease_owner           TEXT,
            lease_expires_at      INTEGER,
            claimed_at            INTEGER,
            completed_at          INTEGER,
            created_at            INTEGER NOT NULL,
            version               INTEGER NOT NULL DEFAULT 0,
            idempotency_key       TEXT,
            rate_limit_deferrals  INTEGER NOT NULL DEFAULT 0,
            enqueue_token         INTEGER
        );

        INSERT INTO task_v2 (id, batch_id, type, status, payload, result, error, attempt, max_attempts, priority, run_after,
            lease_owner, lease_expires_at, claimed_at, completed_at, created_at, version, idempotency_key, rate_limit_deferrals)
        SELECT id, batch_id, type, status, payload, result, error, attempt, max_attempts, priority, run_after,
            lease_owner, lease_expires_at, claimed_at, completed_at, created_at, version, idempotency_key, rate_limit_deferrals
        FROM task;

        DROP TABLE task;
        ALTER TABLE task_v2 RENAME TO task;

        CREATE INDEX task_claimable ON task (priority DESC, id, run_after, type, batch_id) WHERE status = 'pending';
        CREATE INDEX task_batch_status ON task (batch_id, status);
        CREATE INDEX task_running_lease ON task (lease_expires_at) WHERE status = 'running';
        CREATE UNIQUE INDEX task_idempotency ON task (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX task_staged ON task (enqueue_token) WHERE status = 'staged';

        CREATE TABLE worker (
            owner        TEXT    PRIMARY KEY,
            machine      TEXT    NOT NULL,
            pid          INTEGER NOT NULL,
            started_at   INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            expires_at   INTEGER NOT NULL
        );
        """,

        // v3: every ended attempt that is not the task's final success keeps its error, stack trace or result
        // (failures you can debug; a re-run keeps the old result); interruptions carry a kind; a batch's history.
        """
        CREATE TABLE task_attempt (
            id         INTEGER PRIMARY KEY,
            task_id    INTEGER NOT NULL REFERENCES task (id),
            batch_id   INTEGER NOT NULL REFERENCES batch (id),
            attempt    INTEGER NOT NULL,
            outcome    TEXT    NOT NULL,
            error      TEXT,
            detail     TEXT,
            result     TEXT,
            claimed_at INTEGER,
            ended_at   INTEGER NOT NULL
        );
        CREATE INDEX task_attempt_task ON task_attempt (task_id, id);
        -- provider-trouble criteria count a batch's refusals within a window
        CREATE INDEX task_attempt_refusals ON task_attempt (batch_id, outcome, ended_at) WHERE outcome IN ('deferred', 'overloaded');

        ALTER TABLE batch_interruption ADD COLUMN kind TEXT NOT NULL DEFAULT 'other';

        CREATE TABLE batch_event (
            id         INTEGER PRIMARY KEY,
            batch_id   INTEGER NOT NULL REFERENCES batch (id),
            kind       TEXT    NOT NULL,
            message    TEXT    NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX batch_event_batch ON batch_event (batch_id, id);

        ALTER TABLE worker ADD COLUMN task_types TEXT NOT NULL DEFAULT '[]';
        """,

        // v4: limits shared under a name by the processes on this file (RateLimitOptions.SharedName): one row per name,
        // locked by the write transaction, and an exact log of grants pruned past the longest window.
        """
        CREATE TABLE rate_limit_bucket (
            name         TEXT    PRIMARY KEY,
            paused_until INTEGER NOT NULL DEFAULT 0,
            keep_ms      INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE rate_limit_grant (
            id         INTEGER PRIMARY KEY,
            bucket     TEXT    NOT NULL,
            kind       TEXT    NOT NULL CHECK (kind IN ('start', 'token')),
            granted_at INTEGER NOT NULL,
            weight     INTEGER NOT NULL
        );
        CREATE INDEX rate_limit_grant_window ON rate_limit_grant (bucket, kind, granted_at);
        """,

        // v5: claimable rows indexed by batch and type first, so a claim reads only active batches' rows of the types
        // it handles: with one order over all rows, every claim stepped over each pending row of an interrupted batch,
        // of a batch outside the worker's scope, or of a type it has no handler for (28 x slower with 200,000 held).
        """
        DROP INDEX task_claimable;
        CREATE INDEX task_claimable ON task (batch_id, type, priority DESC, id, run_after) WHERE status = 'pending';
        -- The claim starts from the active batches: found without reading every batch a busy file has ever held.
        CREATE INDEX batch_active ON batch (id) WHERE status = 'active';
        """,

        // v6 (telemetry): the W3C traceparent of the span that enqueued each task, so its run links to it; and which
        // batches each worker serves (its WorkerScope), for the dashboard's workers panel.
        """
        ALTER TABLE task ADD COLUMN trace_parent TEXT;
        ALTER TABLE worker ADD COLUMN scope TEXT;
        """,

        // v7 (spend): each provider call's usage and cost; budgets (a row per batch that has one: bounds, what settled
        // calls spent, its own prices) locked by the write transaction; open reservations of calls in flight, ended by
        // their settlement or with their lost run. Costs are whole billionths of a dollar.
        """
        CREATE TABLE task_usage (
            id            INTEGER PRIMARY KEY,
            task_id       INTEGER NOT NULL REFERENCES task (id),
            batch_id      INTEGER NOT NULL REFERENCES batch (id),
            type          TEXT    NOT NULL,
            attempt       INTEGER NOT NULL,
            model         TEXT    NOT NULL,
            input_tokens  INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost          INTEGER,
            estimated     INTEGER NOT NULL DEFAULT 0,
            created_at    INTEGER NOT NULL
        );
        CREATE INDEX task_usage_batch ON task_usage (batch_id, type, model);
        CREATE INDEX task_usage_task ON task_usage (task_id);

        CREATE TABLE spend_budget (
            name         TEXT    PRIMARY KEY,
            max_tokens   INTEGER,
            max_cost     INTEGER,
            spent_tokens INTEGER NOT NULL DEFAULT 0,
            spent_cost   INTEGER NOT NULL DEFAULT 0,
            prices       TEXT
        );

        CREATE TABLE spend_reservation (
            id         INTEGER PRIMARY KEY,
            budget     TEXT    NOT NULL,
            task_id    INTEGER NOT NULL,
            tokens     INTEGER NOT NULL,
            cost       INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX spend_reservation_budget ON spend_reservation (budget);
        CREATE INDEX spend_reservation_task ON spend_reservation (task_id);
        """,

        // v8 (issue 24): routes and provider-batch submissions; see ProviderBatchSchema.
        ProviderBatchSchema.Sqlite,
    ];

    /// <summary>
    /// Refuses a file written by a newer Tem or by another application, reading only: a refused file is not changed.
    /// Returns the file's version (0 for a new, empty file).
    /// </summary>
    public static int Check(SqliteConnection connection, string path)
    {
        var (version, hasTables) = ReadVersionAndTables(connection);
        if (version > CurrentVersion)
        {
            throw new TemDatabaseException(
                $"The database '{path}' has schema version {version}, written by a newer Tem; this Tem understands up to version {CurrentVersion}. Upgrade Tem to open it.");
        }

        if (version == 0 && hasTables)
        {
            throw ForeignFile(path);
        }

        return version;
    }

    public static void Migrate(SqliteConnection connection, string path)
    {
        if (Check(connection, path) == CurrentVersion)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        var version = ReadVersion(connection); // another process may have migrated while we waited for the lock
        if (version == 0 && HasTables(connection, transaction))
        {
            throw ForeignFile(path);
        }

        for (var v = version; v < CurrentVersion; v++)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static TemDatabaseException ForeignFile(string path) => new(
        $"The database '{path}' holds tables but no Tem schema: it belongs to something else. Point DatabasePath at a Tem database or at a new file name.");

    private static bool HasTables(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table');";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    /// <summary>
    /// The version and whether any table exists, read by one statement and so from one snapshot: read apart, another
    /// process could commit the whole schema between the two reads, and a new file looked like another application's
    /// (version 0, yet tables) to an engine opening it at the same instant.
    /// </summary>
    private static (int Version, bool HasTables) ReadVersionAndTables(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT user_version FROM pragma_user_version()), EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table');";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), reader.GetInt64(1) != 0);
    }

    private static int ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
