using System.Runtime.CompilerServices;

namespace Tem.Generators.Tests;

/// <summary>
/// Committed snapshot files: Baselines/{Test}/{HintName}.txt. On a mismatch the helper writes a .received
/// file next to the baseline and fails; set TEM_ACCEPT_BASELINES=1 to accept the received output.
/// </summary>
internal static class Baseline
{
    public static void Match(string testName, IReadOnlyDictionary<string, string> sources, [CallerFilePath] string callerPath = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(callerPath)!, "Baselines", testName);
        var accept = Environment.GetEnvironmentVariable("TEM_ACCEPT_BASELINES") == "1";
        var failures = new List<string>();
        foreach (var (hintName, source) in sources.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, hintName + ".txt");
            var received = path + ".received";
            // The generator names its own version in [GeneratedCode]; baselines must not churn with every release.
            var actual = source.Replace("\r\n", "\n", StringComparison.Ordinal)
                .Replace($"GeneratedCode(\"Tem.Generators\", \"{Emitting.GeneratorVersion.Value}\")", "GeneratedCode(\"Tem.Generators\", \"{version}\")", StringComparison.Ordinal);
            var expected = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
            if (expected == actual)
            {
                File.Delete(received);
                continue;
            }

            if (accept)
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(path, actual);
                File.Delete(received);
                continue;
            }

            Directory.CreateDirectory(directory);
            File.WriteAllText(received, actual);
            failures.Add(expected is null ? $"{path} does not exist" : $"{path} differs");
        }

        var stale = Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.txt").Select(Path.GetFileName).Where(f => !sources.ContainsKey(f![..^4])).ToList()
            : [];
        if (stale.Count > 0 && !accept)
        {
            failures.Add($"baselines without generated source: {string.Join(", ", stale)}");
        }

        Assert.True(failures.Count == 0, $"Snapshot mismatch ({string.Join("; ", failures)}); compare the .received files, or accept them with TEM_ACCEPT_BASELINES=1.");
    }
}
