using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Tem.Cli;

/// <summary>
/// The terminal form of `tem watch`, redrawn in place with Spectre.Console: the batch with its elapsed time, a bar,
/// the rate over the last window and an ETA; a row per task type; the latest errors as they arrive.
/// </summary>
internal static class WatchScreen
{
    private const int ErrorsShown = 6;

    public static async Task<WatchSample?> ShowAsync(IAsyncEnumerable<WatchSample> samples)
    {
        var errors = new Queue<TaskErrorSighting>();
        WatchSample? last = null;
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 160; // no terminal to fit: do not wrap table cells at Spectre's default 80
        }

        await AnsiConsole.Live(new Text("reading the batch…")).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async context =>
        {
            await foreach (var sample in samples)
            {
                foreach (var error in sample.NewErrors)
                {
                    errors.Enqueue(error);
                    while (errors.Count > ErrorsShown)
                    {
                        errors.Dequeue();
                    }
                }

                context.UpdateTarget(Render(sample, errors));
                context.Refresh();
                last = sample;
            }
        });
        return last;
    }

    public static IRenderable Render(WatchSample s, IEnumerable<TaskErrorSighting> errors)
    {
        var stats = s.Stats;
        var status = BatchStatusText.Of(s.Batch, stats);
        var header = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{Markup.Escape(s.Batch.Code)}[/] ({Markup.Escape(s.Batch.Type)}) · {status} · elapsed {Durations.Format(s.Elapsed)}"));
        var progress = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"{Bar(stats, 40)}  {s.Done}/{stats.Total}  {WatchSample.Rate(s.Activity.RatePerSecond)} [grey](last {WatchView.RateWindow.TotalSeconds:0} s)[/]  ETA {s.Eta}  {s.Refusals} refused"));

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("TYPE");
        foreach (var name in new[] { "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "REFUSED", "RATE", "ETA" })
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        foreach (var type in s.Activity.Types)
        {
            var left = type.Stats.Pending + type.Stats.Running;
            var eta = left == 0 ? "done" : type.RatePerSecond > 0 ? Durations.Format(TimeSpan.FromSeconds(left / type.RatePerSecond)) : "?";
            table.AddRow(
                new Text(type.Type), Number(type.Stats.Pending), new Text(WatchSample.Running(type)), Number(type.Stats.Completed),
                new Markup(type.Stats.Failed > 0 ? $"[red]{type.Stats.Failed}[/]" : "0"), Number(type.Stats.Cancelled),
                new Markup(s.RefusalsOf(type.Type) > 0 ? $"[yellow]{s.RefusalsOf(type.Type)}[/]" : "0"), new Text(WatchSample.Rate(type.RatePerSecond)), new Text(eta));
        }

        var rows = new List<IRenderable> { header, progress, table };
        if (s.Limits.Count > 0)
        {
            rows.Add(new Markup("[bold]Shared limits[/]"));
            rows.AddRange(s.Limits.Select(l => new Markup(Markup.Escape(s.Describe(l)))));
        }

        var shown = errors.ToList();
        if (shown.Count > 0)
        {
            rows.Add(new Markup("[bold]Latest errors[/]"));
            var room = Math.Max(20, AnsiConsole.Profile.Width - 10); // one line each: the full text is in `tem show`
            foreach (var error in shown)
            {
                var text = WatchSample.Describe(error);
                text = text.Length <= room ? text : text[..(room - 1)] + "…";
                rows.Add(new Markup(string.Create(CultureInfo.InvariantCulture,
                    $"[grey]{error.At.ToLocalTime():HH:mm:ss}[/] [{(error.Status == TemTaskStatus.Failed ? "red" : "yellow")}]{Markup.Escape(text)}[/]")));
            }
        }

        return new Rows(rows);
    }

    private static Text Number(long value) => new(value.ToString(CultureInfo.InvariantCulture));

    private static string Bar(BatchStats stats, int width)
    {
        if (stats.Total == 0)
        {
            return $"[grey]{new string('░', width)}[/]";
        }

        var completed = (int)(width * stats.Completed / stats.Total);
        var failed = (int)(width * (stats.Completed + stats.Failed + stats.Cancelled) / stats.Total) - completed; // full when all ended
        return $"[green]{new string('█', completed)}[/][red]{new string('█', failed)}[/][grey]{new string('░', width - completed - failed)}[/]";
    }
}
