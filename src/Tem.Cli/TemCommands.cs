using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Tem.Cli;

/// <summary>The commands of the tool; each opens the database, does one thing, and closes it.</summary>
internal static class TemCommands
{
    private static readonly Argument<string> Database = new("database") { Description = "The Tem database: a SQLite file, or a PostgreSQL connection string (Host=…;Database=…[;Schema=tem])." };
    private static readonly Argument<string> Code = new("code") { Description = "The batch code." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of text." };

    public static IEnumerable<Command> All() =>
    [
        Batches(), Report(), List(), Show(), Watch(),
        Steer("retry-failed", "Return the batch's failed tasks to pending with fresh attempts.", (tem, id) => tem.Batches.RetryFailedAsync(id), "returned {0} failed tasks to pending"),
        Steer("resume", "Make the batch active and return to pending the running tasks of workers that are gone (after a crash); safe while other processes work the batch, whose tasks it leaves alone.", (tem, id) => tem.Batches.ResumeAsync(id), "resumed; {0} running tasks returned to pending"),
        Steer("cancel", "Cancel the batch and its unfinished tasks.", (tem, id) => tem.Batches.CancelAsync(id), "cancelled; {0} tasks cancelled"),
        SteerTask("retry-task", "Run one failed task again with fresh attempts.", (tem, id) => tem.Tasks.RetryAsync(id), "returned to pending", "is not failed"),
        SteerTask("cancel-task", "Cancel one pending task.", (tem, id) => tem.Tasks.CancelAsync(id), "cancelled", "is not pending"),
        SteerTask("rerun-task", "Run one completed task again; its old result stays in its attempt history.", (tem, id) => tem.Tasks.RerunAsync(id), "queued to run again", "is not completed"),
        RouteCommand.Create(Database, Code),
        Export(),
        DashboardCommand.Create(Database),
        ProbeCommand.Create(),
    ];

    private static Command Batches()
    {
        var command = new Command("batches", "List the batches with their counts.") { Database, Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!);
            var rows = new List<(Batch Batch, BatchStats Stats)>();
            foreach (var batch in await tem.Batches.ListAsync(cancellationToken: ct))
            {
                rows.Add((batch, await tem.Batches.GetStatsAsync(batch.Id, ct)));
            }

            if (parse.GetValue(Json))
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
                Console.WriteLine($"{tem.DatabasePath}: no batches yet.");
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

    private static Command Report()
    {
        var command = new Command("report", "Stats, throughput, task durations, attempts and the top errors of a batch.") { Database, Code, Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(Code)!);
            var report = await tem.Batches.GetReportAsync(batch.Id, 10, ct);
            if (parse.GetValue(Json))
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
                        w.WriteString("kind", Lower(i.Kind));
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
                o.WriteLine($"Interrupted {i.At.ToLocalTime():yyyy-MM-dd HH:mm:ss} ({Lower(i.Kind)}): {i.Reason} ({i.Stats.Completed} completed, {i.Stats.Failed} failed, {i.Stats.Pending} pending)");
            }

            foreach (var waiting in await tem.Batches.GetUnhandledAsync(batch.Id, ct))
            {
                o.WriteLine($"{waiting.Count} tasks wait for a handler of type {waiting.Type}: no live worker handles it.");
            }

            return 0;
        });
        return command;
    }

    private static Command List()
    {
        // Not Required: a missing --batch gets one line that says what to type, not the parser's error and the whole help.
        var batchOption = new Option<string?>("--batch") { Description = "The batch code (required).", HelpName = "code" };
        var statusOption = new Option<string?>("--status") { Description = "Only tasks in this status: pending, running, completed, failed, cancelled." };
        var typeOption = new Option<string?>("--type") { Description = "Only tasks of this type." };
        var limitOption = new Option<int>("--limit") { Description = "At most this many tasks.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List a batch's tasks with their errors.") { Database, batchOption, statusOption, typeOption, limitOption, Json };
        command.SetAction(async (parse, ct) =>
        {
            var database = parse.GetValue(Database)!;
            var code = parse.GetValue(batchOption)
                ?? throw new CliException($"name the batch: tem list {database} --batch CODE (`tem batches {database}` lists the codes).");
            await using var tem = CliDatabase.Open(database);
            var batch = await CliDatabase.BatchByCodeAsync(tem, code);
            var status = ParseStatus(parse.GetValue(statusOption));
            var type = parse.GetValue(typeOption);
            var tasks = await tem.Tasks.ListAsync(new TaskQuery
            {
                BatchId = batch.Id,
                Status = status,
                Type = type,
                Limit = Math.Clamp(parse.GetValue(limitOption), 1, 10_000),
            }, ct);
            if (parse.GetValue(Json))
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
                var which = string.Join(" ", new[] { status is { } st ? Lower(st) : null, type is null ? null : $"'{type}'" }.Where(w => w is not null));
                Console.WriteLine($"{batch.Code}: no {(which.Length > 0 ? which + " " : "")}tasks.");
                return 0;
            }

            var table = new TextTable("ID", "TYPE", "STATUS", "ATTEMPT", "ERROR");
            foreach (var task in tasks)
            {
                table.Add(task.Id, task.Type, Lower(task.Status), $"{task.Attempt}/{task.MaxAttempts}", Truncate(task.Error, 100));
            }

            table.WriteTo(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var idArgument = new Argument<long>("task-id") { Description = "The task id." };
        var command = new Command("show", "Show one task with its payload, result, error, attempts and times.") { Database, idArgument, Json };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!);
            var task = await tem.Tasks.GetAsync(parse.GetValue(idArgument), ct);
            if (parse.GetValue(Json))
            {
                JsonOutput.Write(w => JsonOutput.WriteTask(w, task, withPayload: true));
                return 0;
            }

            var o = Console.Out;
            o.WriteLine($"Task {task.Id} ({task.Type}) in batch {task.BatchId}: {Lower(task.Status)}, attempt {task.Attempt} of {task.MaxAttempts}, priority {task.Priority}");
            o.WriteLine($"Created {task.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}; run after {task.RunAfter.ToLocalTime():HH:mm:ss.fff}" +
                (task.ClaimedAt is { } c ? $"; claimed {c.ToLocalTime():HH:mm:ss.fff}" : "") +
                (task.CompletedAt is { } d ? $"; ended {d.ToLocalTime():HH:mm:ss.fff}" : ""));
            if (task.IdempotencyKey is { } key) o.WriteLine($"Idempotency key: {key}");
            o.WriteLine($"Payload: {task.PayloadJson}");
            if (task.ResultJson is { } result) o.WriteLine($"Result: {result}");
            if (task.Error is { } error) o.WriteLine($"Error: {error}");
            foreach (var attempt in await tem.Tasks.GetAttemptsAsync(task.Id, ct))
            {
                o.WriteLine($"Attempt {attempt.Attempt}: {Lower(attempt.Outcome)} at {attempt.EndedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}" +
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

    private static Command SteerTask(string name, string description, Func<TemEngine, long, Task<bool>> change, string done, string notDone)
    {
        var idArgument = new Argument<long>("task-id") { Description = "The task id." };
        var command = new Command(name, description) { Database, idArgument };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!, write: true);
            var id = parse.GetValue(idArgument);
            if (!await change(tem, id))
            {
                throw new CliException($"task {id} {notDone}; nothing changed (`tem show` tells its status).");
            }

            Console.WriteLine($"task {id}: {done}.");
            return 0;
        });
        return command;
    }

    private static Command Watch()
    {
        var codeArgument = new Argument<string?>("code") { Description = "Optional: the batch code; without it, pass --latest.", Arity = ArgumentArity.ZeroOrOne };
        var latestOption = new Option<bool>("--latest") { Description = "Watch the newest batch." };
        var intervalOption = new Option<int>("--interval") { Description = "Milliseconds between updates.", DefaultValueFactory = _ => 1000 };
        var viewOption = new Option<string>("--view") { Description = "live (redrawn screen), lines (one line per interval), or auto: live on a terminal, lines when redirected.", DefaultValueFactory = _ => "auto" };
        viewOption.AcceptOnlyFromAmong("auto", "live", "lines");
        var command = new Command("watch", "Show a batch live until it ends: elapsed, rate over the last 10 s, ETA, a row per task type, errors as they arrive.")
        {
            Database, codeArgument, latestOption, intervalOption, viewOption,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!);
            var code = parse.GetValue(codeArgument);
            Batch batch;
            if (code is not null)
            {
                batch = await CliDatabase.BatchByCodeAsync(tem, code);
            }
            else if (parse.GetValue(latestOption))
            {
                batch = (await tem.Batches.ListAsync(cancellationToken: ct)).LastOrDefault() ?? throw new CliException($"'{tem.DatabasePath}' has no batches.");
            }
            else
            {
                throw new CliException("name a batch code, or pass --latest.");
            }

            var live = parse.GetValue(viewOption) switch { "live" => true, "lines" => false, _ => !Console.IsOutputRedirected };
            return await WatchView.RunAsync(tem, batch, TimeSpan.FromMilliseconds(Math.Max(100, parse.GetValue(intervalOption))), live, ct);
        });
        return command;
    }

    private static Command Steer(string name, string description, Func<TemEngine, long, Task<int>> change, string done)
    {
        var command = new Command(name, description) { Database, Code };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!, write: true);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(Code)!);
            var count = await change(tem, batch.Id);
            Console.WriteLine($"{batch.Code}: {string.Format(CultureInfo.InvariantCulture, done, count)}.");
            return 0;
        });
        return command;
    }

    private static Command Export()
    {
        var formatOption = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        formatOption.AcceptOnlyFromAmong("jsonl", "csv");
        var statusOption = new Option<string?>("--status") { Description = "Only tasks in this status (default: all)." };
        var command = new Command("export", "Write a batch's tasks with payloads and results, for downstream use.") { Database, Code, formatOption, statusOption };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(Database)!);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(Code)!);
            var csv = parse.GetValue(formatOption) == "csv";
            var status = ParseStatus(parse.GetValue(statusOption));
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
                        writer.WriteLine(string.Join(',', task.Id.ToString(CultureInfo.InvariantCulture), Csv(task.Type), Lower(task.Status),
                            task.Attempt.ToString(CultureInfo.InvariantCulture), Csv(task.PayloadJson), Csv(task.ResultJson), Csv(task.Error)));
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

    private static TemTaskStatus? ParseStatus(string? text) => text is null ? null
        : Enum.TryParse<TemTaskStatus>(text, ignoreCase: true, out var status) ? status
        : throw new CliException($"unknown status '{text}'; use pending, running, completed, failed or cancelled.");

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string? Truncate(string? text, int length) => text is null || text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Csv(string? value) => value is null ? "" : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
