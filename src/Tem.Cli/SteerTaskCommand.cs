using System.CommandLine;

namespace Tem.Cli;

/// <summary>The commands that change one task (`retry-task`, `cancel-task`, `rerun-task`).</summary>
internal static class SteerTaskCommand
{
    public static Command Create(string name, string description, Func<TemEngine, long, Task<bool>> change, string done, string notDone)
    {
        var idArgument = new Argument<long>("task-id") { Description = "The task id." };
        var command = new Command(name, description) { CliArguments.Database, idArgument };
        command.SetAction(async (parse, ct) =>
        {
            await using var tem = CliDatabase.Open(parse.GetValue(CliArguments.Database)!, write: true);
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
}
