using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Tem.Cli;

/// <summary>`tem export`: a batch's tasks with payloads and results, as JSON lines or CSV.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var formatOption = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        formatOption.AcceptOnlyFromAmong("jsonl", "csv");
        var statusOption = new Option<string?>("--status") { Description = "Only tasks in this status (default: all)." };
        var command = new Command("export", "Write a batch's tasks with payloads and results, for downstream use.") { CliArguments.Database, CliArguments.Code, formatOption, statusOption };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(CliArguments.Database)!, parse.GetValue(CliArguments.Code)!);
            var csv = parse.GetValue(formatOption) == "csv";
            var status = CliText.ParseStatus(parse.GetValue(statusOption));
            using var stdout = Console.OpenStandardOutput();
            using var writer = new StreamWriter(stdout, new UTF8Encoding(false)) { NewLine = "\n" };
            if (csv)
            {
                writer.WriteLine("id,type,status,attempt,payload,result,error");
            }

            long after = 0;
            while (true)
            {
                var page = await tem.Tasks.ListAsync(new TaskQuery { BatchId = batch.Id, Status = status, AfterId = after, Limit = 1000 }, ct);
                foreach (var task in page)
                {
                    if (csv)
                    {
                        writer.WriteLine(string.Join(',', task.Id.ToString(CultureInfo.InvariantCulture), CliText.Csv(task.Type), CliText.Lower(task.Status),
                            task.Attempt.ToString(CultureInfo.InvariantCulture), CliText.Csv(task.PayloadJson), CliText.Csv(task.ResultJson), CliText.Csv(task.Error)));
                    }
                    else
                    {
                        using var line = new MemoryStream();
                        using (var w = new System.Text.Json.Utf8JsonWriter(line))
                        {
                            JsonOutput.WriteTask(w, task, withPayload: true);
                        }

                        writer.WriteLine(Encoding.UTF8.GetString(line.ToArray()));
                    }
                }

                if (page.Count < 1000)
                {
                    break;
                }

                after = page[^1].Id;
            }

            return 0;
        });
        return command;
    }
}
