using System.CommandLine;
using Tem;
using Tem.Cli;

// `tem`: look into a Tem database and steer its batches from the terminal.
var root = new RootCommand("Inspect and steer Tem batches in a Tem database: a SQLite file or a PostgreSQL connection string.");
foreach (var command in TemCommands.All())
{
    root.Subcommands.Add(command);
}

try
{
    // Our own handler prints one line for errors the user can fix, instead of a stack trace.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is CliException or TemException)
{
    Console.Error.WriteLine($"tem: {ex.Message}");
    return 1;
}
