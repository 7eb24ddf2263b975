using System.CommandLine;

namespace Tem.Cli;

/// <summary>`tem show`: one task with its payload, result, error, attempts and times.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var idArgument = new Argument<long>("task-id") { Description = "The task id." };
        var command = new Command("show", "Show one task with its payload, result, error, attempts and times.") { CliArguments.Database, idArgument, CliArguments.Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!);
            var task = await tem.Tasks.GetAsync(parse.GetValue(idArgument), ct);
            if (parse.GetValue(CliArguments.Json))
            {
                var usage = await tem.Batches.GetTaskSpendAsync(task.Id, ct);
                JsonOutput.Write(w => JsonOutput.WriteTask(w, task, withPayload: true, usage));
                return 0;
            }

            var o = Console.Out;
            o.WriteLine($"Task {task.Id} ({task.Type}) in batch {task.BatchId}: {CliText.Lower(task.Status)}, attempt {task.Attempt} of {task.MaxAttempts}, priority {task.Priority}");
            o.WriteLine($"Created {task.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}; run after {task.RunAfter.ToLocalTime():HH:mm:ss.fff}" +
                (task.ClaimedAt is { } c ? $"; claimed {c.ToLocalTime():HH:mm:ss.fff}" : "") +
                (task.CompletedAt is { } d ? $"; ended {d.ToLocalTime():HH:mm:ss.fff}" : ""));
            if (task.IdempotencyKey is { } key) o.WriteLine($"Idempotency key: {key}");
            o.WriteLine($"Payload: {task.PayloadJson}");
            if (task.ResultJson is { } result) o.WriteLine($"Result: {result}");
            if (task.Error is { } error) o.WriteLine($"Error: {error}");
            SpendOutput.WriteTaskText(o, await tem.Batches.GetTaskSpendAsync(task.Id, ct));
            foreach (var attempt in await tem.Tasks.GetAttemptsAsync(task.Id, ct))
            {
                o.WriteLine($"Attempt {attempt.Attempt}: {CliText.Lower(attempt.Outcome)} at {attempt.EndedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}" +
                    (attempt.Error is { } e ? $": {e}" : "") + (attempt.ResultJson is { } r ? $"; result {r}" : ""));
                if (attempt.Detail is { } detail)
                {
                    o.WriteLine("  " + detail.ReplaceLineEndings(Environment.NewLine + "  "));
                }
            }

            return 0;
        });
        return command;
    }
}
