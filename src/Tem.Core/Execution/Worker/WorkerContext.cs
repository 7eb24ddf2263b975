using Microsoft.Extensions.Logging;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>What every part of a worker shares for its whole life: the store, options, pacing and identity.</summary>
internal sealed class WorkerContext
{
    public WorkerContext(ITemStore store, TemOptions options, EngineSignals signals, TimeProvider time, WorkerIdentity identity)
    {
        Store = store;
        Options = options;
        Signals = signals;
        Time = time;
        Identity = identity;
        Logger = options.EffectiveLogger;
        Pacing = new ProviderPacing(options, time);
        SharedLimit = SharedRateGate.For(store, options, time, Logger);
        Spend = new SpendMeter(store, options, Logger);
        if (SharedLimit is { } shared)
        {
            Pacing.SharedPause = shared.Pause;
            Pacing.Tokens.Shared = shared;
        }
    }

    public ITemStore Store { get; }

    public TemOptions Options { get; }

    public EngineSignals Signals { get; }

    public TimeProvider Time { get; }

    public WorkerIdentity Identity { get; }

    public ILogger Logger { get; }

    /// <summary>Start rate and concurrency: configured windows, learned provider limits, adaptive concurrency (issue 12).</summary>
    public ProviderPacing Pacing { get; }

    /// <summary>The limit shared with every engine on the database (<see cref="RateLimitOptions.SharedName"/>), or null.</summary>
    public SharedRateGate? SharedLimit { get; }

    /// <summary>Budgets and usage of provider calls (issue 25).</summary>
    public SpendMeter Spend { get; }

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
