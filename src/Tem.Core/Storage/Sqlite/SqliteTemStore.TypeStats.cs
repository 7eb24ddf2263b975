namespace Tem.Storage;

internal sealed partial class SqliteTemStore
{
    public ValueTask<IReadOnlyList<TaskTypeStats>> GetTypeStatsAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<TaskTypeStats>>(_db.Read(read => TypeStatsRow.Build(read.List("""
            SELECT type, status, COUNT(*), SUM(rate_limit_deferrals) FROM task WHERE batch_id = $id AND status <> 'staged'
            GROUP BY type, status;
            """, r => new TypeStatsRow(r.GetString(0), StatusNames.ParseTask(r.GetString(1)), r.GetInt64(2), r.GetInt64(3)), ("$id", batchId)))));
}
