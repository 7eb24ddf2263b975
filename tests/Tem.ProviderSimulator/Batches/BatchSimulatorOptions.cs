namespace Tem.ProviderSimulator.Batches;

/// <summary>
/// How the simulated provider batch APIs (OpenAI <c>/v1/files</c> + <c>/v1/batches</c>, Anthropic
/// <c>/v1/messages/batches</c>) behave. Durations are real time: a provider's "24h" window becomes
/// <see cref="ExpiresAfter"/>, so a test sees every status in seconds.
/// </summary>
public sealed class BatchSimulatorOptions
{
    /// <summary>How long an OpenAI batch stays <c>validating</c> before it starts (or fails validation).</summary>
    public TimeSpan ValidatingFor { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Requests a batch processes per second once in progress (lines finish one by one, in a shuffled order).</summary>
    public double LinesPerSecond { get; set; } = 20_000;

    /// <summary>How long an OpenAI batch stays <c>finalizing</c> once every line is done.</summary>
    public TimeSpan FinalizingFor { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a cancelled batch stays <c>cancelling</c> / <c>canceling</c> before it ends.</summary>
    public TimeSpan CancellingFor { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The completion window after creation: lines not done by then expire.</summary>
    public TimeSpan ExpiresAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of lines (drawn per line, seeded) that end in an error instead of a response.</summary>
    public double LineErrorRate { get; set; }

    /// <summary>OpenAI: most requests in one input file (documented: 50,000).</summary>
    public int OpenAiMaxRequestsPerFile { get; set; } = 50_000;

    /// <summary>OpenAI: largest input file in bytes (documented: 200 MB).</summary>
    public long OpenAiMaxFileBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>Anthropic: most requests in one message batch (documented: 100,000).</summary>
    public int AnthropicMaxRequests { get; set; } = 100_000;

    /// <summary>Anthropic: largest create request in bytes (documented: 256 MB).</summary>
    public long AnthropicMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The clock every status is computed from. Default the system's.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Seed of the processing order and the per-line error draws.</summary>
    public int Seed { get; set; } = 4242;
}
