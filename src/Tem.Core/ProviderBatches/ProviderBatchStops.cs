namespace Tem.ProviderBatches;

/// <summary>
/// The steps of a submission where a crash test stops a real process: with <c>TEM_TEST_STOP_AT</c> naming one
/// (claimed, uploaded, upload-recorded, create-sent, polling, downloading), the process prints
/// <c>stopped at &lt;step&gt;</c> and waits there forever, for the test to kill it with SIGKILL. Unset, each step costs
/// one comparison.
/// </summary>
internal static class ProviderBatchStops
{
    private static readonly string? StopAt = Environment.GetEnvironmentVariable("TEM_TEST_STOP_AT");

    public static async ValueTask ReachedAsync(string step)
    {
        if (StopAt is null || !string.Equals(StopAt, step, StringComparison.Ordinal))
        {
            return;
        }

        Console.Out.WriteLine("stopped at " + step);
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
    }
}
