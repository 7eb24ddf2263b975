using Microsoft.Extensions.Logging;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>What every part of a worker shares for its whole life: the store, options, pacing and identity.</summary>
internal sealed class WorkerContext(ITemStore store, TemOptions options, EngineSignals signals, TimeProvider time, WorkerIdentity identity)
{
    public ITemStore Store { get; } = store;

    public TemOptions Options { get; } = options;

    public EngineSignals Signals { get; } = signals;

    public TimeProvider Time { get; } = time;

    public WorkerIdentity Identity { get; } = identity;

    public ILogger Logger { get; } = options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Start rate and concurrency: configured windows, learned provider limits, adaptive concurrency (issue 12).</summary>
    public ProviderPacing Pacing { get; } = new(options, time);

    public StartRateGate Gate => Pacing.Gate;

    public TokenBudget Tokens => Pacing.Tokens;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _batchCodes = new();

    /// <summary>A batch's code for trace tags, read once per batch (only while a trace listener is on).</summary>
    public async ValueTask<string> BatchCodeAsync(long batchId)
    {
        if (!_batchCodes.TryGetValue(batchId, out var code))
        {
            code = (await Store.GetBatchAsync(batchId, CancellationToken.None).ConfigureAwait(false))?.Code ?? "";
            _batchCodes[batchId] = code;
        }

        return code;
    }
}
