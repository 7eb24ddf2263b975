namespace Tem.Storage;

internal sealed partial class SqliteTemStore : IProviderSubmissionStore
{
    public ValueTask<bool> SetRouteAsync(long batchId, LlmRoute route, CancellationToken cancellationToken)
        => Done(_db.Write(write => write.Execute("UPDATE batch SET route = $route WHERE id = $id;", ("$route", RouteNames.ToText(route)), ("$id", batchId)) == 1));

    public ValueTask<LlmRoute?> GetRouteAsync(long batchId, CancellationToken cancellationToken)
        => Done(_db.Read(read => read.List("SELECT route FROM batch WHERE id = $id;", r => (LlmRoute?)RouteNames.Parse(r.GetString(0)), ("$id", batchId)).FirstOrDefault()));

    public ValueTask<(long Id, int Tasks)> RecordSubmissionAsync(NewSubmission submission, TimeSpan taskLease, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteSubmissionStatements.Record(write, submission, taskLease)));

    public ValueTask<SubmissionRow?> LeaseSubmissionAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteSubmissionStatements.LeaseOne(write, owner, lease)));

    public ValueTask<IReadOnlyList<SubmissionTask>> GetSubmissionTasksAsync(long submissionId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<SubmissionTask>>(_db.Read(read => read.List(SqliteSubmissionStatements.Tasks, SqliteSubmissionStatements.ReadTask, ("$submission", submissionId))));

    public ValueTask<bool> AdvanceSubmissionAsync(long submissionId, string owner, SubmissionStep step, CancellationToken cancellationToken)
        => Done(_db.Write(write => SqliteSubmissionStatements.AdvanceOne(write, submissionId, owner, step)));

    public ValueTask<bool> RenewSubmissionLeaseAsync(long submissionId, string owner, TimeSpan lease, CancellationToken cancellationToken)
        => Done(_db.Write(write => write.Execute(SqliteSubmissionStatements.Renew, ("$id", submissionId), ("$owner", owner), ("$now", write.NowMs), ("$lease", (long)lease.TotalMilliseconds)) == 1));

    public ValueTask<IReadOnlyList<ProviderBatchInfo>> ListSubmissionsAsync(long batchId, CancellationToken cancellationToken)
        => Done<IReadOnlyList<ProviderBatchInfo>>(_db.Read(read => read.List(SqliteSubmissionStatements.List, SqliteSubmissionStatements.ReadInfo, ("$batch", batchId))));
}
