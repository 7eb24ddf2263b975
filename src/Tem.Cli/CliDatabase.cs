namespace Tem.Cli;

/// <summary>Opens an existing Tem database for the commands; never creates one.</summary>
internal static class CliDatabase
{
    public static TemEngine Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"database '{path}' not found.");
        }

        // A short poll keeps `watch` responsive; the CLI never starts the worker.
        return TemEngine.Open(new TemOptions { DatabasePath = path, PollInterval = TimeSpan.FromMilliseconds(250) });
    }

    public static async Task<Batch> BatchByCodeAsync(TemEngine tem, string code)
        => await tem.Batches.GetByCodeAsync(code).ConfigureAwait(false)
           ?? throw new CliException($"no batch with code '{code}' in '{tem.DatabasePath}'. `tem batches {tem.DatabasePath}` lists them.");
}
