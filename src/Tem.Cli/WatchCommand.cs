using System.CommandLine;

namespace Tem.Cli;

/// <summary>`tem watch`: a batch live until it ends.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var codeArgument = new Argument<string?>("code") { Description = "Optional: the batch code; without it, pass --latest.", Arity = ArgumentArity.ZeroOrOne };
        var latestOption = new Option<bool>("--latest") { Description = "Watch the newest batch." };
        var intervalOption = new Option<int>("--interval") { Description = "Milliseconds between updates.", DefaultValueFactory = _ => 1000 };
        var viewOption = new Option<string>("--view") { Description = "live (redrawn screen), lines (one line per interval), or auto: live on a terminal, lines when redirected.", DefaultValueFactory = _ => "auto" };
        viewOption.AcceptOnlyFromAmong("auto", "live", "lines");
        var command = new Command("watch", "Show a batch live until it ends: elapsed, rate over the last 10 s, ETA, a row per task type, provider refusals, shared limits, errors as they arrive.")
        {
            CliArguments.Database, codeArgument, latestOption, intervalOption, viewOption,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!);
            var code = parse.GetValue(codeArgument);
            Batch batch;
            if (code is not null)
            {
                batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(CliArguments.Database)!, code);
            }
            else if (parse.GetValue(latestOption))
            {
                batch = (await tem.Batches.ListAsync(cancellationToken: ct)).LastOrDefault() ?? throw new CliException($"'{tem.StoreDescription}' has no batches.");
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
}
