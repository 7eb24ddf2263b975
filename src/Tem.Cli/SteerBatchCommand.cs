using System.CommandLine;
using System.Globalization;

namespace Tem.Cli;

/// <summary>The commands that change one batch (`retry-failed`, `resume`, `cancel`).</summary>
internal static class SteerBatchCommand
{
    public static Command Create(string name, string description, Func<TemEngine, long, Task<int>> change, string done)
    {
        var command = new Command(name, description) { CliArguments.Database, CliArguments.Code };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!, write: true);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(CliArguments.Database)!, parse.GetValue(CliArguments.Code)!);
            var count = await change(tem, batch.Id);
            Console.WriteLine($"{batch.Code}: {string.Format(CultureInfo.InvariantCulture, done, count)}.");
            return 0;
        });
        return command;
    }
}
