using System.CommandLine;

namespace Tem.Cli;

/// <summary>`tem list`: a batch's tasks with their errors.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        // Not Required: a missing --batch gets one line that says what to type, not the parser's error and the whole help.
        var batchOption = new Option<string?>("--batch") { Description = "The batch code (required).", HelpName = "code" };
        var statusOption = new Option<string?>("--status") { Description = "Only tasks in this status: pending, running, completed, failed, cancelled." };
        var typeOption = new Option<string?>("--type") { Description = "Only tasks of this type." };
        var limitOption = new Option<int>("--limit") { Description = "At most this many tasks.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List a batch's tasks with their errors.") { CliArguments.Database, batchOption, statusOption, typeOption, limitOption, CliArguments.Json };
        command.SetAction(async (parse, ct) =>
        {
            var database = parse.GetValue(CliArguments.Database)!;
            var code = parse.GetValue(batchOption)
                ?? throw new CliException($"name the batch: tem list {database} --batch CODE (`tem batches {database}` lists the codes).");
            await using var tem = CliDatabase.Open(database);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(CliArguments.Database)!, code);
            var status = CliText.ParseStatus(parse.GetValue(statusOption));
            var type = parse.GetValue(typeOption);
            var tasks = await tem.Tasks.ListAsync(new TaskQuery
            {
                BatchId = batch.Id,
                Status = status,
                Type = type,
                Limit = Math.Clamp(parse.GetValue(limitOption), 1, 10_000),
            }, ct);
            if (parse.GetValue(CliArguments.Json))
            {
                JsonOutput.Write(w =>
                {
                    w.WriteStartArray();
                    foreach (var task in tasks) JsonOutput.WriteTask(w, task, withPayload: false);
                    w.WriteEndArray();
                });
                return 0;
            }

            if (tasks.Count == 0)
            {
                var which = string.Join(" ", new[] { status is { } st ? CliText.Lower(st) : null, type is null ? null : $"'{type}'" }.Where(w => w is not null));
                Console.WriteLine($"{batch.Code}: no {(which.Length > 0 ? which + " " : "")}tasks.");
                return 0;
            }

            var table = new TextTable("ID", "TYPE", "STATUS", "ATTEMPT", "ERROR");
            foreach (var task in tasks)
            {
                table.Add(task.Id, task.Type, CliText.Lower(task.Status), $"{task.Attempt}/{task.MaxAttempts}", CliText.Truncate(task.Error, 100));
            }

            table.WriteTo(Console.Out);
            return 0;
        });
        return command;
    }
}
