namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<IReadOnlyList<TaskTypeStats>> GetTypeStatsAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<TaskTypeStats>>(_db.Read(read => ReadTypeStats(read, batchId)));

    private static List<TaskTypeStats> ReadTypeStats(SqliteRead read, long batchId)
    {
        using var command = read.Command("""
            SELECT type, status, COUNT(*), SUM(rate_limit_deferrals) FROM task WHERE batch_id = $id AND status <> 'staged'
            GROUP BY type, status ORDER BY type;
            """, ("$id", batchId));
        using var reader = command.ExecuteReader();
        var result = new List<TaskTypeStats>();
        string? type = null;
        long pending = 0, running = 0, completed = 0, failed = 0, cancelled = 0, deferrals = 0;
        void Flush()
        {
            if (type is not null)
            {
                result.Add(new TaskTypeStats(type, new BatchStats(pending, running, completed, failed, cancelled), deferrals));
            }
        }

        while (reader.Read())
        {
            var rowType = reader.GetString(0);
            if (rowType != type)
            {
                Flush();
                type = rowType;
                pending = running = completed = failed = cancelled = deferrals = 0;
            }

            var count = reader.GetInt64(2);
            deferrals += reader.GetInt64(3);
            switch (StatusNames.ParseTask(reader.GetString(1)))
            {
                case TemTaskStatus.Pending: pending = count; break;
                case TemTaskStatus.Running: running = count; break;
                case TemTaskStatus.Completed: completed = count; break;
                case TemTaskStatus.Failed: failed = count; break;
                case TemTaskStatus.Cancelled: cancelled = count; break;
            }
        }

        Flush();
        return result;
    }
}
