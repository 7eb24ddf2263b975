using System.CommandLine;

namespace Tem.Cli;

/// <summary>The arguments and options most commands share, one instance each so the help reads the same everywhere.</summary>
internal static class CliArguments
{
    public static readonly Argument<string> Database = new("database") { Description = "The Tem database: a SQLite file, or a PostgreSQL connection string (Host=…;Database=…[;Schema=tem])." };
    public static readonly Argument<string> Code = new("code") { Description = "The batch code." };
    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of text." };
}
