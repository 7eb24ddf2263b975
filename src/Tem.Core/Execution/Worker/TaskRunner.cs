using System.Diagnostics;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Runs one claimed task: its handler under its timeout, then the outcome the <see cref="OutcomePolicy"/> gives,
/// handed to the outcome writer. Everything after the slot was taken sits inside try/finally, so no path leaks a
/// slot or a rate permit.
/// </summary>
internal static class TaskRunner
{
    public static async Task RunAsync(WorkerRun run, ActiveRun active, ClaimedTask task, RateTicket ticket)
    {
        var context = run.Context;
        RunVerdict verdict = default;
        var started = Stopwatch.GetTimestamp();
        Activity? activity = null;
        try
        {
            activity = await StartActivityAsync(context, task).ConfigureAwait(false);
            if (activity is not null)
            {
                Activity.Current = activity; // started inside an async method, it is current only there: the handler's spans (an LLM call's) are its children
            }

            TemTelemetry.Started.Add(1, new KeyValuePair<string, object?>("tem.task.type", task.Type));
            verdict = await RunHandlerAsync(run, active, task, ticket).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Only the engine's own code can land here (the handler's exceptions are judged above): the run counts.
            verdict = OutcomePolicy.Failed(task, ex, RunCancellation.None, TimeSpan.Zero, context.Options, Random.Shared.NextDouble());
        }
        finally
        {
            if (ticket.IsReserved)
            {
                context.Pacing.Refund([ticket]); // the handler never started: its permit was not used
            }

            Finish(run, active, task, verdict, started, activity);
        }
    }

    private static async Task<RunVerdict> RunHandlerAsync(WorkerRun run, ActiveRun active, ClaimedTask task, RateTicket ticket)
    {
        var context = run.Context;
        var entry = run.Handlers[task.Type];
        var timeout = entry.Timeout ?? context.Options.DefaultTimeout;
        var cancel = active.Cancel;
        try
        {
            if (timeout < TemOptions.MaxTimer)
            {
                cancel.CancelAfter(timeout); // a longer timeout could never fire: it means none
            }
            var taskContext = new TaskContext(task.Id, task.BatchId, task.Type, task.Attempt, task.MaxAttempts, task.IdempotencyKey,
                context.Tokens.IsUnlimited ? null : context.Tokens, context.Gate, ticket);
            taskContext.Spend = new TaskSpend(context.Spend, task.Id, task.BatchId, task.Type, task.Attempt);
            TaskContext.Current.Value = taskContext;
            if (context.SharedLimit is { } shared)
            {
                await shared.BeforeHandlerAsync(task.Id, cancel.Token).ConfigureAwait(false); // a shared grant too old for its margin is renewed
            }

            // The last look before the start: a claim that waited past its lease (a slow hand-off, an outage meanwhile) is not run.
            if (!run.Leases.MayStart(active.ClaimSentAt, active.AdmittedAt))
            {
                Log.StaleStartReleased(context.Logger, task.Id, run.Leases.Since(active.ClaimSentAt), context.Options.LeaseDuration);
                return new RunVerdict(OutcomePolicy.Released(task));
            }

            // The entry reads the payload, then logs the reserved permit as started right before calling the handler.
            // WaitAsync frees the slot at the timeout even if the handler ignores its token.
            var result = await entry.Invoke(task.Payload, taskContext, cancel.Token).AsTask().WaitAsync(cancel.Token).ConfigureAwait(false);
            await taskContext.Spend.SettledAsync().ConfigureAwait(false); // usage is written before the outcome, so a report after the batch sees it all
            context.Pacing.OnSucceeded();
            return OutcomePolicy.Completed(task, result);
        }
        catch (Exception ex)
        {
            var why = !cancel.IsCancellationRequested ? RunCancellation.None
                : run.HardStop.IsCancellationRequested ? RunCancellation.Stopped
                : active.BatchCancelled ? RunCancellation.BatchCancelled
                : RunCancellation.TimedOut;
            var verdict = OutcomePolicy.Failed(task, ex, why, timeout, context.Options, Random.Shared.NextDouble());

            // A timeout surfaces as the handler's TaskCanceledException ("A task was canceled"): say what happened.
            var logged = why == RunCancellation.TimedOut && ex is OperationCanceledException
                ? new TimeoutException($"Attempt {task.Attempt} of {task.MaxAttempts} timed out after {timeout.TotalSeconds:0.###} s (the handler's TimeoutSeconds, else TemOptions.DefaultTimeout).")
                : ex;
            switch (verdict.Outcome?.Kind)
            {
                case OutcomeKind.Failed: Log.TaskFailed(context.Logger, task.Id, task.Attempt, logged); break;
                case OutcomeKind.Retry: Log.TaskRetrying(context.Logger, task.Id, task.Attempt, logged); break;
            }

            if (verdict.Refused && ex is RetryAfterException refused)
            {
                // Pacing pauses, paces or lowers concurrency as the refusal's kind says, and says how long this task waits.
                var delay = context.Pacing.OnRefused(refused, task.RateLimitDeferrals);
                if (verdict.Outcome is { Kind: OutcomeKind.Deferred } deferred)
                {
                    // Issue 14 counts overloads and concurrency refusals apart from rate limits (ProviderRefusal's kinds).
                    verdict = verdict with { Outcome = deferred with { Delay = delay, Overloaded = refused.Kind != ProviderRefusalKind.RateLimit } };
                }
            }

            if (TaskContext.Current.Value?.Spend is { } spend)
            {
                await spend.SettledAsync().ConfigureAwait(false);
            }

            if (verdict.Account is { } account)
            {
                await InterruptAsync(context, task, account.InterruptionKind, account.Kind.ToString(), account.Message).ConfigureAwait(false);
            }

            if (verdict.Budget is { } budget)
            {
                await InterruptAsync(context, task, InterruptionKind.Budget, "Budget", budget.Message).ConfigureAwait(false);
            }

            return verdict;
        }
    }

    /// <summary>
    /// Interrupts the task's batch before its release is written, so that the released task and its siblings are not
    /// claimed again against the same empty account; a batch already interrupted is left as it is.
    /// </summary>
    private static async ValueTask InterruptAsync(WorkerContext context, ClaimedTask task, InterruptionKind kind, string why, string message)
    {
        try
        {
            if (await context.Store.InterruptBatchAsync(task.BatchId, kind, message, CancellationToken.None).ConfigureAwait(false))
            {
                Log.BatchInterruptedForAccount(context.Logger, task.BatchId, task.Id, why, message);
                context.Signals.BatchChanged();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The release still goes out: the next refusal of the batch tries again.
            Log.AccountInterruptFailed(context.Logger, task.BatchId, ex);
        }
    }

    private static async ValueTask<Activity?> StartActivityAsync(WorkerContext context, ClaimedTask task)
    {
        var activity = TemTracing.StartProcess(task);
        if (activity is not null)
        {
            activity.SetTag("tem.task.type", task.Type);
            activity.SetTag("tem.task.id", task.Id);
            activity.SetTag("tem.batch.id", task.BatchId);
            activity.SetTag("tem.batch.code", await context.BatchCodeAsync(task.BatchId).ConfigureAwait(false));
            activity.SetTag("tem.task.attempt", task.Attempt);
        }

        return activity;
    }

    private static void Finish(WorkerRun run, ActiveRun active, ClaimedTask task, RunVerdict verdict, long started, Activity? activity)
    {
        try
        {
            var kind = verdict.Outcome?.Kind ?? OutcomeKind.Released;
            TemTelemetry.Record(task.Type, kind, Stopwatch.GetElapsedTime(started));
            if (activity is not null)
            {
                activity.SetTag("tem.task.outcome", verdict.Outcome is null ? "cancelled" : TemTelemetry.OutcomeName(kind));
                if (kind is not OutcomeKind.Completed)
                {
                    activity.SetStatus(kind == OutcomeKind.Released ? ActivityStatusCode.Unset : ActivityStatusCode.Error, verdict.Outcome?.Error);
                }

                activity.Dispose();
            }

            Log.TaskEnded(run.Context.Logger, task.Id, task.Attempt, verdict.Outcome is null ? "Cancelled" : kind.ToString());
        }
        finally
        {
            run.HandlerEnded(active, verdict.Outcome);
        }
    }
}
