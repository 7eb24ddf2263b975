using System.CommandLine;
using System.Globalization;

namespace Tem.Cli;

/// <summary>`tem report`: stats, throughput, durations, attempts and top errors of one batch.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var command = new Command("report", "Stats, throughput, task durations, attempts and the top errors of a batch.") { CliArguments.Database, CliArguments.Code, CliArguments.Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(CliArguments.Database)!, parse.GetValue(CliArguments.Code)!);
            var report = await tem.Batches.GetReportAsync(batch.Id, 10, ct);
            var spend = await tem.Batches.GetSpendAsync(batch.Id, ct);
            if (parse.GetValue(CliArguments.Json))
            {
                JsonOutput.Write(w =>
                {
                    w.WriteStartObject();
                    w.WritePropertyName("batch");
                    JsonOutput.WriteBatch(w, batch, report.Stats);
                    if (report.Throughput is { } rate) w.WriteNumber("throughputPerSecond", Math.Round(rate, 3));
                    if (report.DurationP50 is { } p50) w.WriteNumber("durationP50Ms", (long)p50.TotalMilliseconds);
                    if (report.DurationP95 is { } p95) w.WriteNumber("durationP95Ms", (long)p95.TotalMilliseconds);
                    if (report.DurationMax is { } max) w.WriteNumber("durationMaxMs", (long)max.TotalMilliseconds);
                    w.WriteStartObject("attempts");
                    foreach (var a in report.Attempts) w.WriteNumber(a.Attempts.ToString(CultureInfo.InvariantCulture), a.Tasks);
                    w.WriteEndObject();
                    w.WriteNumber("lostAttempts", report.LostAttempts);
                    SpendOutput.WriteJson(w, spend);
                    w.WriteStartArray("topErrors");
                    foreach (var e in report.TopErrors)
                    {
                        w.WriteStartObject();
                        w.WriteString("error", e.Error);
                        w.WriteNumber("tasks", e.Tasks);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("interruptions");
                    foreach (var i in report.Interruptions)
                    {
                        w.WriteStartObject();
                        w.WriteString("kind", CliText.Lower(i.Kind));
                        w.WriteString("reason", i.Reason);
                        w.WriteString("at", i.At);
                        w.WritePropertyName("stats");
                        JsonOutput.WriteStats(w, i.Stats);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                return 0;
            }

            var s = report.Stats;
            var o = Console.Out;
            o.WriteLine($"Batch {batch.Code} ({batch.Type}), {BatchStatusText.Of(batch, s)}, created {batch.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}");
            o.WriteLine($"Tasks: {s.Total} total, {s.Completed} completed, {s.Failed} failed, {s.Pending} pending, {s.Running} running, {s.Cancelled} cancelled");
            if (report.Throughput is { } perSecond)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Throughput: {perSecond:0.##} tasks/s over {Durations.Format(report.LastCompletedAt!.Value - report.FirstClaimedAt!.Value)}"));
            }

            if (report.DurationP50 is { } median)
            {
                o.WriteLine($"Task duration: p50 {Durations.Format(median)}, p95 {Durations.Format(report.DurationP95!.Value)}, max {Durations.Format(report.DurationMax!.Value)}");
            }

            if (report.Attempts.Count > 0)
            {
                o.WriteLine("Attempts: " + string.Join(", ", report.Attempts.Select(a => $"{a.Attempts} → {a.Tasks}")));
            }

            if (report.LostAttempts > 0)
            {
                o.WriteLine($"Lost runs: {report.LostAttempts} (their worker died or was cut off past its lease; each task ran again)");
            }

            SpendOutput.WriteText(o, spend);
            if (report.TopErrors.Count > 0)
            {
                o.WriteLine("Top errors:");
                foreach (var e in report.TopErrors)
                {
                    o.WriteLine($"  {e.Tasks,6}  {e.Error.ReplaceLineEndings(" ")}");
                }
            }

            foreach (var i in report.Interruptions)
            {
                o.WriteLine($"Interrupted {i.At.ToLocalTime():yyyy-MM-dd HH:mm:ss} ({CliText.Lower(i.Kind)}): {i.Reason} ({i.Stats.Completed} completed, {i.Stats.Failed} failed, {i.Stats.Pending} pending)");
            }

            foreach (var waiting in await tem.Batches.GetUnhandledAsync(batch.Id, ct))
            {
                o.WriteLine($"{waiting.Count} tasks wait for a handler of type {waiting.Type}: no live worker handles it.");
            }

            return 0;
        });
        return command;
    }
}
