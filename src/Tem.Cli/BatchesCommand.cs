using System.CommandLine;

namespace Tem.Cli;

/// <summary>`tem batches`: the batches with their counts.</summary>
internal static class BatchesCommand
{
    public static Command Create()
    {
        var command = new Command("batches", "List the batches with their counts.") { CliArguments.Database, CliArguments.Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!);
            var rows = new List<(Batch Batch, BatchStats Stats)>();
            foreach (var batch in await tem.Batches.ListAsync(cancellationToken: ct))
            {
                rows.Add((batch, await tem.Batches.GetStatsAsync(batch.Id, ct)));
            }

            if (parse.GetValue(CliArguments.Json))
            {
                JsonOutput.Write(w =>
                {
                    w.WriteStartArray();
                    foreach (var (batch, stats) in rows)
                    {
                        JsonOutput.WriteBatch(w, batch, stats);
                    }

                    w.WriteEndArray();
                });
                return 0;
            }

            if (rows.Count == 0)
            {
                Console.WriteLine($"{tem.StoreDescription}: no batches yet.");
                return 0;
            }

            var table = new TextTable("CODE", "TYPE", "STATUS", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TOTAL", "CREATED", "ELAPSED");
            foreach (var (batch, stats) in rows)
            {
                var elapsed = (batch.CompletedAt ?? DateTimeOffset.UtcNow) - batch.CreatedAt;
                table.Add(batch.Code, batch.Type, BatchStatusText.Of(batch, stats), stats.Pending, stats.Running, stats.Completed, stats.Failed, stats.Cancelled, stats.Total, batch.CreatedAt, elapsed);
            }

            table.WriteTo(Console.Out);
            return 0;
        });
        return command;
    }
}
