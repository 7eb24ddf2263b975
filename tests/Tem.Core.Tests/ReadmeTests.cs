using System.Text.RegularExpressions;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>
/// The README's C# cannot drift from code that builds: every ```csharp block is either a verbatim copy of a file the
/// solution compiles (marked <c>&lt;!-- snippet: PATH --&gt;</c> on the line before, checked byte for byte here; .ci/pack
/// also builds and runs the quick start's blocks in a fresh app on the packed packages), or is marked
/// <c>&lt;!-- fragment: why --&gt;</c> as a deliberate excerpt.
/// </summary>
public sealed partial class ReadmeTests
{
    [GeneratedRegex(@"^<!-- (snippet|fragment): (.+?) -->$")]
    private static partial Regex Marker();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tem.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Tem.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Each ```csharp block: its marker line (or null), its body, and the line it starts on.</summary>
    private static List<(string? Marker, string Body, int Line)> CSharpBlocks(string readme)
    {
        var lines = readme.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blocks = new List<(string?, string, int)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```csharp")
            {
                continue;
            }

            var end = Array.IndexOf(lines, "```", i + 1);
            Assert.True(end > i, $"README line {i + 1}: a ```csharp block is never closed.");
            var body = string.Join('\n', lines[(i + 1)..end]) + "\n";
            blocks.Add((i > 0 && Marker().IsMatch(lines[i - 1]) ? lines[i - 1] : null, body, i + 1));
            i = end;
        }

        return blocks;
    }

    [Fact]
    public void Every_csharp_block_is_a_compiled_file_verbatim_or_marked_as_a_fragment()
    {
        var root = RepositoryRoot();
        var blocks = CSharpBlocks(File.ReadAllText(Path.Combine(root, "README.md")));
        Assert.Contains(blocks, b => b.Marker?.Contains("samples/Tem.Samples.Quickstart/Program.cs", StringComparison.Ordinal) == true);
        foreach (var (marker, body, line) in blocks)
        {
            Assert.True(marker is not null, $"README line {line}: a ```csharp block without '<!-- snippet: PATH -->' or '<!-- fragment: why -->' on the line before.");
            var match = Marker().Match(marker);
            if (match.Groups[1].Value == "fragment")
            {
                continue;
            }

            var path = Path.Combine(root, match.Groups[2].Value);
            Assert.True(File.Exists(path), $"README line {line}: snippet file {match.Groups[2].Value} does not exist.");
            var file = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
            Assert.True(file == body, $"README line {line}: the block differs from {match.Groups[2].Value}; copy the file into the README again.");
        }
    }

    [Fact]
    public void The_check_notices_a_block_that_drifted()
    {
        var readme = "<!-- snippet: samples/Tem.Samples.Quickstart/Program.cs -->\n```csharp\nConsole.WriteLine(\"stale\");\n```\n";
        var (marker, body, _) = Assert.Single(CSharpBlocks(readme));
        Assert.NotNull(marker);
        Assert.NotEqual(File.ReadAllText(Path.Combine(RepositoryRoot(), "samples/Tem.Samples.Quickstart/Program.cs")), body);
    }
}
