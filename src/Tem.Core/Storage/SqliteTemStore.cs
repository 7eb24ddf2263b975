using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>
/// The SQLite store. One connection writes (SQLite has one writer anyway, and in-process writes
/// queue on a lock rather than spin on SQLITE_BUSY); a second connection reads, which WAL lets run
/// beside the writer. Write transactions begin IMMEDIATE so that processes sharing the file wait
/// on busy_timeout instead of failing on a lock upgrade.
/// </summary>
internal sealed partial class SqliteTemStore : ITemStore
{
    private const string TaskColumns =
        "id, batch_id, type, status, payload, result, error, attempt, max_attempts, priority, run_after, created_at, claimed_at, completed_at, idempotency_key, lease_owner";

    private const string BatchColumns = "id, code, type, status, created_at, completed_at, metadata, interruption_criteria";

    private readonly object _writeGate = new();
    private readonly object _readGate = new();
    private readonly SqliteConnection _writer;
    private readonly SqliteConnection _reader;
    private readonly StatementCache _writes;
    private readonly StatementCache _reads;
    private bool _disposed;

    private SqliteTemStore(string path, SqliteConnection writer, SqliteConnection reader)
    {
        Path = path;
        _writer = writer;
        _reader = reader;
        _writes = new StatementCache(writer);
        _reads = new StatementCache(reader);
    }

    public string Path { get; }

    public static SqliteTemStore Open(string path, TemDurability durability, TimeSpan busyTimeout)
    {
        SqliteConnectionFactory.CheckPath(path);
        var writer = SqliteConnectionFactory.Open(path, durability, busyTimeout);
        try
        {
            Schema.Migrate(writer, path);
        }
        catch (SqliteException ex)
        {
            writer.Dispose();
            throw SqliteConnectionFactory.Translate(ex, path);
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        var reader = SqliteConnectionFactory.Open(path, durability, busyTimeout);
        return new SqliteTemStore(path, writer, reader);
    }

    // ---- batches ----

    public Batch CreateBatch(string code, string type, string? metadataJson, string? criteriaJson, long nowMs)
    {
        lock (_writeGate)
        {
            using var command = Command(_writer, $"""
                INSERT INTO batch (code, type, status, created_at, metadata, interruption_criteria)
                VALUES ($code, $type, 'active', $now, $metadata, $criteria)
                ON CONFLICT (code) DO NOTHING
                RETURNING {BatchColumns};
                """,
                ("$code", code), ("$type", type), ("$now", nowMs), ("$metadata", metadataJson), ("$criteria", criteriaJson));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadBatch(reader) : throw new DuplicateBatchCodeException(code);
        }
    }

    public Batch? GetBatch(long batchId) => ReadBatches($"SELECT {BatchColumns} FROM batch WHERE id = $id;", ("$id", batchId)).FirstOrDefault();

    public Batch? GetBatchByCode(string code) => ReadBatches($"SELECT {BatchColumns} FROM batch WHERE code = $code;", ("$code", code)).FirstOrDefault();

    public IReadOnlyList<Batch> ListBatches(string? type, BatchStatus? status) => ReadBatches(
        $"SELECT {BatchColumns} FROM batch WHERE ($type IS NULL OR type = $type) AND ($status IS NULL OR status = $status) ORDER BY id;",
        ("$type", type), ("$status", status is { } s ? StatusNames.ToText(s) : null));

    public BatchStats GetStats(long batchId)
    {
        return Read(() =>
        {
            return ReadStats(_reader, batchId);
        });
    }

    public long CountPending()
    {
        lock (_readGate)
        {
            using var command = Command(_reader, "SELECT COUNT(*) FROM task INDEXED BY task_claimable WHERE status = 'pending';");
            return (long)command.ExecuteScalar()!;
        }
    }

    public (bool Pending, bool Running) HasUnfinished(long batchId)
    {
        return Read(() =>
        {
            // EXISTS stops at the first index entry. WaitForBatchAsync asks after every write group, and COUNT(*)
            // read the batch's whole pending range each time (about 15 ms at 200,000 pending).
            var command = _reads.Get(null, """
                SELECT EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status = 'pending'),
                       EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status = 'running');
                """, ("$id", batchId));
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0) != 0, reader.GetInt64(1) != 0);
        });
    }

    public BatchReport GetReport(Batch batch, int topErrors)
    {
        lock (_readGate)
        {
            using var snapshot = _reader.BeginTransaction(deferred: true);
            var stats = ReadStats(_reader, batch.Id, snapshot);

            long? firstClaimed = null, lastCompleted = null;
            using (var command = Command(_reader, "SELECT MIN(claimed_at), MAX(completed_at) FROM task WHERE batch_id = $id;", ("$id", batch.Id)))
            {
                command.Transaction = snapshot;
                using var reader = command.ExecuteReader();
                reader.Read();
                firstClaimed = reader.IsDBNull(0) ? null : reader.GetInt64(0);
                lastCompleted = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            }

            var durations = new List<long>();
            using (var command = Command(_reader, """
                SELECT completed_at - claimed_at FROM task
                WHERE batch_id = $id AND status = 'completed' AND claimed_at IS NOT NULL
                ORDER BY 1;
                """, ("$id", batch.Id)))
            {
                command.Transaction = snapshot;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    durations.Add(reader.GetInt64(0));
                }
            }

            var attempts = new List<AttemptCount>();
            using (var command = Command(_reader, """
                SELECT attempt, COUNT(*) FROM task WHERE batch_id = $id AND status IN ('completed', 'failed')
                GROUP BY attempt ORDER BY attempt;
                """, ("$id", batch.Id)))
            {
                command.Transaction = snapshot;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    attempts.Add(new AttemptCount(reader.GetInt32(0), reader.GetInt64(1)));
                }
            }

            var errors = new List<ErrorCount>();
            using (var command = Command(_reader, """
                SELECT error, COUNT(*) FROM task WHERE batch_id = $id AND error IS NOT NULL AND status IN ('failed', 'pending')
                GROUP BY error ORDER BY COUNT(*) DESC, error LIMIT $top;
                """, ("$id", batch.Id), ("$top", topErrors)))
            {
                command.Transaction = snapshot;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    errors.Add(new ErrorCount(reader.GetString(0), reader.GetInt64(1)));
                }
            }

            snapshot.Commit();
            TimeSpan? Percentile(double p) => durations.Count == 0 ? null
                : TimeSpan.FromMilliseconds(durations[Math.Clamp((int)Math.Ceiling(p * durations.Count) - 1, 0, durations.Count - 1)]);
            var span = lastCompleted - firstClaimed;
            return new BatchReport
            {
                Batch = batch,
                Stats = stats,
                FirstClaimedAt = firstClaimed is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
                LastCompletedAt = lastCompleted is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
                Throughput = span is > 0 ? stats.Completed * 1000.0 / span.Value : null,
                DurationP50 = Percentile(0.50),
                DurationP95 = Percentile(0.95),
                DurationMax = Percentile(1.0),
                Attempts = attempts,
                TopErrors = errors,
                Interruptions = GetInterruptionsUnlocked(batch.Id),
            };
        }
    }

    public IReadOnlyList<BatchInterruption> GetInterruptions(long batchId) => Read(() => GetInterruptionsUnlocked(batchId));

    /// <summary>Reads the interruptions; the caller holds the read lock.</summary>
    private IReadOnlyList<BatchInterruption> GetInterruptionsUnlocked(long batchId)
    {
        {
            using var command = Command(_reader, """
                SELECT reason, created_at, pending, running, completed, failed, cancelled
                FROM batch_interruption WHERE batch_id = $id ORDER BY id;
                """, ("$id", batchId));
            using var reader = command.ExecuteReader();
            var list = new List<BatchInterruption>();
            while (reader.Read())
            {
                list.Add(new BatchInterruption(
                    reader.GetString(0),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                    new BatchStats(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6))));
            }

            return list;
        }
    }

    public int ResumeBatch(long batchId, string liveOwner, long nowMs) => InWriteTransaction(transaction =>
    {
        RestartBatch(transaction, batchId);
        var reset = ReturnLostRuns(transaction, "batch_id = $id AND status = 'running' AND (lease_owner IS NULL OR lease_owner <> $owner)", nowMs,
            ("$id", batchId), ("$owner", liveOwner));
        CompleteIfDone(transaction, batchId, nowMs);
        return reset;
    });

    public int RetryFailed(long batchId, long nowMs) => InWriteTransaction(transaction =>
    {
        RestartBatch(transaction, batchId);
        var reset = Execute(transaction, """
            UPDATE task SET status = 'pending', attempt = 0, rate_limit_deferrals = 0, run_after = $now, completed_at = NULL, version = version + 1
            WHERE batch_id = $id AND status = 'failed';
            """, ("$id", batchId), ("$now", nowMs));
        CompleteIfDone(transaction, batchId, nowMs);
        return reset;
    });

    public int CancelBatch(long batchId, long nowMs) => InWriteTransaction(transaction =>
    {
        RequireBatch(transaction, batchId);
        Execute(transaction, "UPDATE batch SET status = 'cancelled', completed_at = $now WHERE id = $id;", ("$id", batchId), ("$now", nowMs));
        return Execute(transaction, """
            UPDATE task SET status = 'cancelled', completed_at = $now, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
            WHERE batch_id = $id AND status IN ('pending', 'running');
            """, ("$id", batchId), ("$now", nowMs));
    });

    public bool InterruptBatch(long batchId, string reason, long nowMs) => InWriteTransaction(transaction =>
    {
        RequireBatch(transaction, batchId);
        return Interrupt(transaction, batchId, reason, nowMs);
    });

    public int InterruptOverdueBatches(long nowMs) => InWriteTransaction(transaction =>
    {
        var overdue = new List<(long Id, string Reason)>();
        using (var command = Command(transaction, """
            SELECT id, interruption_criteria, started_at FROM batch
            WHERE status = 'active' AND started_at IS NOT NULL AND interruption_criteria LIKE '%maxRuntimeMs%';
            """))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var criteria = InterruptionCriteria.FromJson(reader.GetString(1));
                var reason = criteria.Check(0, 0, 0, TimeSpan.FromMilliseconds(nowMs - reader.GetInt64(2)));
                if (reason is not null)
                {
                    overdue.Add((reader.GetInt64(0), reason));
                }
            }
        }

        foreach (var (id, reason) in overdue)
        {
            Interrupt(transaction, id, reason, nowMs);
        }

        return overdue.Count;
    });

    // ---- tasks ----

    public EnqueueResult Enqueue(long batchId, string type, IEnumerable<NewTask> tasks, long nowMs, CancellationToken cancellationToken)
        => InWriteTransaction(transaction =>
    {
        var wasCompleted = OpenForEnqueue(transaction, batchId) == BatchStatus.Completed;
        using var insert = Command(transaction, """
            INSERT INTO task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key)
            VALUES ($batch, $type, 'pending', $payload, $max, $priority, $runAfter, $now, $key)
            ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
            """);
        var pBatch = insert.Parameters.AddWithValue("$batch", batchId);
        var pType = insert.Parameters.AddWithValue("$type", type);
        var pPayload = insert.Parameters.Add("$payload", SqliteType.Text);
        var pMax = insert.Parameters.Add("$max", SqliteType.Integer);
        var pPriority = insert.Parameters.Add("$priority", SqliteType.Integer);
        var pRunAfter = insert.Parameters.Add("$runAfter", SqliteType.Integer);
        insert.Parameters.AddWithValue("$now", nowMs);
        var pKey = insert.Parameters.Add("$key", SqliteType.Text);
        insert.Prepare();

        long inserted = 0, skipped = 0;
        foreach (var task in tasks)
        {
            if ((inserted + skipped) % 4096 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            pPayload.Value = task.Payload;
            pMax.Value = task.MaxAttempts;
            pPriority.Value = task.Priority;
            pRunAfter.Value = task.RunAfterMs;
            pKey.Value = (object?)task.IdempotencyKey ?? DBNull.Value;
            if (insert.ExecuteNonQuery() == 1)
            {
                inserted++;
            }
            else
            {
                skipped++;
            }
        }

        if (wasCompleted && inserted > 0)
        {
            Reactivate(transaction, batchId);
        }

        return new EnqueueResult(inserted, skipped);
    });

    public long EnqueueOne(long batchId, string type, NewTask task, long nowMs) => InWriteTransaction(transaction =>
    {
        var wasCompleted = OpenForEnqueue(transaction, batchId) == BatchStatus.Completed;
        using var insert = Command(transaction, """
            INSERT INTO task (batch_id, type, status, payload, max_attempts, priority, run_after, created_at, idempotency_key)
            VALUES ($batch, $type, 'pending', $payload, $max, $priority, $runAfter, $now, $key)
            ON CONFLICT (batch_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id;
            """, ("$batch", batchId), ("$type", type), ("$payload", task.Payload), ("$max", task.MaxAttempts), ("$priority", task.Priority),
            ("$runAfter", task.RunAfterMs), ("$now", nowMs), ("$key", task.IdempotencyKey));
        if (insert.ExecuteScalar() is long id)
        {
            if (wasCompleted)
            {
                Reactivate(transaction, batchId);
            }

            return id;
        }

        using var existing = Command(transaction, "SELECT id FROM task WHERE batch_id = $batch AND idempotency_key = $key;", ("$batch", batchId), ("$key", task.IdempotencyKey));
        return (long)existing.ExecuteScalar()!;
    });

    public TemTask? GetTask(long taskId)
    {
        return Read(() =>
        {
            using var command = Command(_reader, $"SELECT {TaskColumns} FROM task WHERE id = $id;", ("$id", taskId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadTask(reader) : null;
        });
    }

    public IReadOnlyList<TemTask> ListTasks(TaskQuery query)
    {
        return Read(() =>
        {
            using var command = Command(_reader, $"""
                SELECT {TaskColumns} FROM task
                WHERE id > $after
                  AND ($batch IS NULL OR batch_id = $batch)
                  AND ($status IS NULL OR status = $status)
                  AND ($type IS NULL OR type = $type)
                ORDER BY id LIMIT $limit;
                """,
                ("$after", query.AfterId), ("$batch", query.BatchId), ("$status", query.Status is { } s ? StatusNames.ToText(s) : null),
                ("$type", query.Type), ("$limit", query.Limit));
            using var reader = command.ExecuteReader();
            var list = new List<TemTask>();
            while (reader.Read())
            {
                list.Add(ReadTask(reader));
            }

            return list;
        });
    }

    // ---- worker ----

    public IReadOnlyList<ClaimedTask> Claim(string owner, string taskTypesJson, int limit, long nowMs, long leaseUntilMs)
        => InWriteTransaction(transaction =>
    {
        var claimed = new List<ClaimedTask>(limit);
        var command = _writes.Get(transaction, """
            UPDATE task
            SET status = 'running', attempt = attempt + 1, lease_owner = $owner, lease_expires_at = $leaseUntil,
                claimed_at = $now, version = version + 1
            WHERE id IN (
                -- Without the hint the planner may pick (batch_id, status) and sort every pending row of the batch.
                SELECT id FROM task INDEXED BY task_claimable
                WHERE status = 'pending' AND run_after <= $now
                  AND type IN (SELECT value FROM json_each($types))
                  AND batch_id IN (SELECT id FROM batch WHERE status = 'active')
                ORDER BY priority DESC, id
                LIMIT $limit)
            RETURNING id, batch_id, type, payload, attempt, max_attempts, version, priority, idempotency_key, rate_limit_deferrals;
            """, ("$owner", owner), ("$leaseUntil", leaseUntilMs), ("$now", nowMs), ("$types", taskTypesJson), ("$limit", limit));
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                claimed.Add(new ClaimedTask(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetInt32(5), reader.GetInt64(6), reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9)));
            }
        }

        if (claimed.Count > 0)
        {
            _writes.Get(transaction, "UPDATE batch SET started_at = $now WHERE started_at IS NULL AND id IN (SELECT value FROM json_each($ids));",
                ("$now", nowMs), ("$ids", JsonIds(claimed.Select(c => c.BatchId).Distinct()))).ExecuteNonQuery();
            // RETURNING gives no order; hand tasks out in claim order.
            claimed.Sort(static (a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));
        }

        return claimed;
    });

    public IReadOnlyList<TaskOutcome> ApplyOutcomes(IReadOnlyList<TaskOutcome> outcomes, long nowMs) => InWriteTransaction(transaction =>
    {
        var rejected = new List<TaskOutcome>();
        var ended = new Dictionary<long, BatchTally>();
        foreach (var outcome in outcomes)
        {
            if (WriteOutcome(transaction, outcome, nowMs) == 0)
            {
                rejected.Add(outcome);
                continue;
            }

            if (outcome.Kind is OutcomeKind.Completed or OutcomeKind.Failed)
            {
                Tally(ended, outcome.BatchId, success: outcome.Kind == OutcomeKind.Completed);
            }
        }

        UpdateEndedBatches(transaction, ended, nowMs);

        return rejected;
    });

    /// <summary>One outcome's transition: a conditional UPDATE that matches only the claim it belongs to (same version, still running).</summary>
    private int WriteOutcome(SqliteTransaction transaction, TaskOutcome outcome, long nowMs)
    {
        var (id, version) = (("$id", (object?)outcome.TaskId), ("$version", (object?)outcome.Version));
        var command = outcome.Kind switch
        {
            OutcomeKind.Completed => _writes.Get(transaction, """
                UPDATE task SET status = 'completed', result = $result, error = NULL, completed_at = $now,
                    lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = $id AND status = 'running' AND version = $version;
                """, id, version, ("$result", outcome.Result), ("$now", nowMs)),
            OutcomeKind.Retry => _writes.Get(transaction, """
                UPDATE task SET status = 'pending', error = $error, run_after = $runAfter,
                    lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = $id AND status = 'running' AND version = $version;
                """, id, version, ("$error", outcome.Error), ("$runAfter", outcome.RunAfterMs)),
            OutcomeKind.Failed => _writes.Get(transaction, """
                UPDATE task SET status = 'failed', error = $error, completed_at = $now,
                    lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = $id AND status = 'running' AND version = $version;
                """, id, version, ("$error", outcome.Error), ("$now", nowMs)),
            OutcomeKind.Deferred => _writes.Get(transaction, """
                UPDATE task SET status = 'pending', error = $error, run_after = $runAfter, attempt = attempt - 1,
                    rate_limit_deferrals = rate_limit_deferrals + 1, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = $id AND status = 'running' AND version = $version;
                """, id, version, ("$error", outcome.Error), ("$runAfter", outcome.RunAfterMs)),
            _ => _writes.Get(transaction, """
                UPDATE task SET status = 'pending', run_after = $now, attempt = attempt - 1,
                    lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = $id AND status = 'running' AND version = $version;
                """, id, version, ("$now", nowMs)),
        };
        return command.ExecuteNonQuery();
    }

    public int RenewLeases(string owner, long leaseUntilMs) => InWriteTransaction(transaction => Execute(transaction,
        "UPDATE task SET lease_expires_at = $until WHERE lease_owner = $owner AND status = 'running';",
        ("$until", leaseUntilMs), ("$owner", owner)));

    public int RecoverExpiredLeases(long nowMs) => InWriteTransaction(transaction =>
        ReturnLostRuns(transaction, "status = 'running' AND lease_expires_at < $now", nowMs));

    /// <summary>
    /// Ends runs whose process stopped without reporting (crashed, killed, frozen past its lease). The run used its
    /// attempt: the task goes back to pending, or, if that was its last attempt, fails. Without that bound a task
    /// that crashes its process on every run would be claimed again forever, each time perhaps a paid call.
    /// </summary>
    private int ReturnLostRuns(SqliteTransaction transaction, string where, long nowMs, params (string Name, object? Value)[] parameters)
    {
        var ended = new Dictionary<long, BatchTally>();
        var returned = 0;
        using (var command = Command(transaction, $"""
            UPDATE task SET
                status = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
                error = CASE WHEN attempt >= max_attempts
                    THEN 'Attempt ' || attempt || ' of ' || max_attempts || ' was lost: the process running it stopped (crashed, was killed or froze) '
                        || 'before reporting an outcome, and no attempts are left. If this task brings its process down, fix the cause, then retry the batch''s failures.'
                    ELSE error END,
                completed_at = CASE WHEN attempt >= max_attempts THEN $now ELSE NULL END,
                run_after = $now, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
            WHERE {where}
            RETURNING batch_id, status;
            """, [("$now", nowMs), .. parameters]))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                returned++;
                if (reader.GetString(1) == "failed")
                {
                    Tally(ended, reader.GetInt64(0), success: false);
                }
            }
        }

        // Failures count towards the batch's interruption criteria, and the last of them may complete the batch.
        UpdateEndedBatches(transaction, ended, nowMs);

        return returned;
    }

    public int ReleaseOwned(string owner, long nowMs) => InWriteTransaction(transaction => Execute(transaction, """
        UPDATE task SET status = 'pending', run_after = $now, attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE lease_owner = $owner AND status = 'running';
        """, ("$now", nowMs), ("$owner", owner)));

    public void Dispose()
    {
        lock (_writeGate)
        {
            lock (_readGate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _writes.Dispose();
                _reads.Dispose();
                _reader.Dispose();
                _writer.Dispose();
            }
        }
    }

    // ---- pieces ----

    /// <summary>Counts a batch's outcomes in one group, in order, for its interruption counters.</summary>
    private struct BatchTally
    {
        public long Completed;
        public long Failed;
        public bool SawSuccess;
        public long FailuresSinceSuccess;

        public void Record(bool success)
        {
            if (success)
            {
                Completed++;
                SawSuccess = true;
                FailuresSinceSuccess = 0;
            }
            else
            {
                Failed++;
                FailuresSinceSuccess++;
            }
        }
    }

    /// <summary>Counts one ended run in its batch's tally for the current transaction, in the order runs ended.</summary>
    private static void Tally(Dictionary<long, BatchTally> ended, long batchId, bool success)
    {
        ref var tally = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ended, batchId, out _);
        tally.Record(success);
    }

    private void UpdateEndedBatches(SqliteTransaction transaction, Dictionary<long, BatchTally> ended, long nowMs)
    {
        foreach (var (batchId, tally) in ended)
        {
            UpdateEndedBatch(transaction, batchId, tally, nowMs);
        }
    }

    private void UpdateEndedBatch(SqliteTransaction transaction, long batchId, BatchTally tally, long nowMs)
    {
        string? criteriaJson = null;
        long completed = 0, failed = 0, consecutive = 0, startedAt = nowMs;
        var command = _writes.Get(transaction, """
            UPDATE batch SET run_completed = run_completed + $completed, run_failed = run_failed + $failed,
                consecutive_failures = CASE WHEN $reset THEN $row ELSE consecutive_failures + $row END
            WHERE id = $id AND status = 'active'
            RETURNING interruption_criteria, run_completed, run_failed, consecutive_failures, started_at;
            """, ("$completed", tally.Completed), ("$failed", tally.Failed), ("$reset", tally.SawSuccess),
            ("$row", tally.FailuresSinceSuccess), ("$id", batchId));
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return; // cancelled or interrupted meanwhile: nothing to judge or complete
            }

            criteriaJson = reader.IsDBNull(0) ? null : reader.GetString(0);
            completed = reader.GetInt64(1);
            failed = reader.GetInt64(2);
            consecutive = reader.GetInt64(3);
            startedAt = reader.IsDBNull(4) ? nowMs : reader.GetInt64(4);
        }

        if (criteriaJson is not null)
        {
            var reason = InterruptionCriteria.FromJson(criteriaJson).Check(completed, failed, consecutive, TimeSpan.FromMilliseconds(nowMs - startedAt));
            if (reason is not null && Interrupt(transaction, batchId, reason, nowMs))
            {
                return;
            }
        }

        CompleteIfDone(transaction, batchId, nowMs);
    }

    /// <summary>An active batch with tasks, none of them pending or running, is completed.</summary>
    private void CompleteIfDone(SqliteTransaction transaction, long batchId, long nowMs) => _writes.Get(transaction, """
        UPDATE batch SET status = 'completed', completed_at = $now
        WHERE id = $id AND status = 'active'
          AND EXISTS (SELECT 1 FROM task WHERE batch_id = $id)
          AND NOT EXISTS (SELECT 1 FROM task WHERE batch_id = $id AND status IN ('pending', 'running'));
        """, ("$id", batchId), ("$now", nowMs)).ExecuteNonQuery();

    private static bool Interrupt(SqliteTransaction transaction, long batchId, string reason, long nowMs)
    {
        if (Execute(transaction, "UPDATE batch SET status = 'interrupted' WHERE id = $id AND status = 'active';", ("$id", batchId)) == 0)
        {
            return false;
        }

        var stats = ReadStats(transaction.Connection!, batchId, transaction);
        Execute(transaction, """
            INSERT INTO batch_interruption (batch_id, reason, created_at, pending, running, completed, failed, cancelled)
            VALUES ($id, $reason, $now, $pending, $running, $completed, $failed, $cancelled);
            """, ("$id", batchId), ("$reason", reason), ("$now", nowMs), ("$pending", stats.Pending), ("$running", stats.Running),
            ("$completed", stats.Completed), ("$failed", stats.Failed), ("$cancelled", stats.Cancelled));
        return true;
    }

    /// <summary>Checks that the batch takes tasks; returns its status.</summary>
    private static BatchStatus OpenForEnqueue(SqliteTransaction transaction, long batchId)
    {
        var status = RequireBatch(transaction, batchId);
        if (status is BatchStatus.Cancelled or BatchStatus.Interrupted)
        {
            throw new BatchNotActiveException(
                $"Batch {batchId} is {StatusNames.ToText(status)} and takes no new tasks. " +
                (status == BatchStatus.Interrupted ? "Call Batches.ResumeAsync to reopen it, or create a new batch." : "Create a new batch."));
        }

        return status;
    }

    private static void Reactivate(SqliteTransaction transaction, long batchId)
        => Execute(transaction, "UPDATE batch SET status = 'active', completed_at = NULL WHERE id = $id AND status = 'completed';", ("$id", batchId));

    private static void RestartBatch(SqliteTransaction transaction, long batchId)
    {
        var status = RequireBatch(transaction, batchId);
        if (status == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Batch {batchId} is cancelled and cannot be resumed or retried. Create a new batch and enqueue its tasks again.");
        }

        Execute(transaction, """
            UPDATE batch SET status = 'active', completed_at = NULL, started_at = NULL,
                run_completed = 0, run_failed = 0, consecutive_failures = 0
            WHERE id = $id;
            """, ("$id", batchId));
    }

    private static BatchStatus RequireBatch(SqliteTransaction transaction, long batchId)
    {
        using var command = Command(transaction, "SELECT status FROM batch WHERE id = $id;", ("$id", batchId));
        return command.ExecuteScalar() is string status
            ? StatusNames.ParseBatch(status)
            : throw new BatchNotFoundException($"No batch has id {batchId}. Batch ids come from Batches.CreateAsync, GetByCodeAsync or ListAsync.");
    }

    private static BatchStats ReadStats(SqliteConnection connection, long batchId, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection, "SELECT status, COUNT(*) FROM task WHERE batch_id = $id GROUP BY status;", ("$id", batchId));
        command.Transaction = transaction;
        using var reader = command.ExecuteReader();
        long pending = 0, running = 0, completed = 0, failed = 0, cancelled = 0;
        while (reader.Read())
        {
            var count = reader.GetInt64(1);
            switch (StatusNames.ParseTask(reader.GetString(0)))
            {
                case TemTaskStatus.Pending: pending = count; break;
                case TemTaskStatus.Running: running = count; break;
                case TemTaskStatus.Completed: completed = count; break;
                case TemTaskStatus.Failed: failed = count; break;
                case TemTaskStatus.Cancelled: cancelled = count; break;
            }
        }

        return new BatchStats(pending, running, completed, failed, cancelled);
    }

    private List<Batch> ReadBatches(string sql, params (string Name, object? Value)[] parameters)
    {
        return Read(() =>
        {
            using var command = Command(_reader, sql, parameters);
            using var reader = command.ExecuteReader();
            var list = new List<Batch>();
            while (reader.Read())
            {
                list.Add(ReadBatch(reader));
            }

            return list;
        });
    }

    private static Batch ReadBatch(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Code = reader.GetString(1),
        Type = reader.GetString(2),
        Status = StatusNames.ParseBatch(reader.GetString(3)),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        CompletedAt = reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        Metadata = reader.IsDBNull(6) ? new Dictionary<string, string>() : BatchMetadata.FromJson(reader.GetString(6)),
        InterruptionCriteria = reader.IsDBNull(7) ? null : InterruptionCriteria.FromJson(reader.GetString(7)),
    };

    private static TemTask ReadTask(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        BatchId = reader.GetInt64(1),
        Type = reader.GetString(2),
        Status = StatusNames.ParseTask(reader.GetString(3)),
        PayloadJson = reader.GetString(4),
        ResultJson = reader.IsDBNull(5) ? null : reader.GetString(5),
        Error = reader.IsDBNull(6) ? null : reader.GetString(6),
        Attempt = reader.GetInt32(7),
        MaxAttempts = reader.GetInt32(8),
        Priority = reader.GetInt32(9),
        RunAfter = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
        ClaimedAt = reader.IsDBNull(12) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(12)),
        CompletedAt = reader.IsDBNull(13) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(13)),
        IdempotencyKey = reader.IsDBNull(14) ? null : reader.GetString(14),
        LeaseOwner = reader.IsDBNull(15) ? null : reader.GetString(15),
    };

    /// <summary>Runs a read on the reader connection; a file found corrupt or not SQLite while reading is reported like one found so on open.</summary>
    private T Read<T>(Func<T> work)
    {
        lock (_readGate)
        {
            try
            {
                return work();
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 11 or 26)
            {
                throw SqliteConnectionFactory.Translate(ex, Path);
            }
        }
    }

    private T InWriteTransaction<T>(Func<SqliteTransaction, T> work)
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                using var transaction = _writer.BeginTransaction(deferred: false);
                var result = work(transaction);
                transaction.Commit();
                return result;
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 11 or 26)
            {
                throw SqliteConnectionFactory.Translate(ex, Path);
            }
        }
    }

    private static int Execute(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Command(transaction.Connection!, sql, parameters);
        command.Transaction = transaction;
        return command;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static string JsonIds(IEnumerable<long> ids)
    {
        var builder = new StringBuilder("[");
        foreach (var id in ids)
        {
            if (builder.Length > 1)
            {
                builder.Append(',');
            }

            builder.Append(id);
        }

        return builder.Append(']').ToString();
    }
}
