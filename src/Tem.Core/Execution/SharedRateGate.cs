using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// A worker's side of a limit shared under <see cref="RateLimitOptions.SharedName"/> by every engine on the database.
/// The claim loop asks it after the local <see cref="StartRateGate"/>: the store grants starts on its own clock and
/// claims that many tasks in the same transaction (<see cref="ITemStore.ClaimSharedAsync"/>), so no grant is ever left
/// unclaimed. Each window is counted <see cref="RateLimitOptions.SharedGrantMargin"/> longer than it is, to cover the
/// hop from the grant to the handler's start; a task that reaches its handler more than half that after its grant
/// (its age told by <see cref="GrantClock"/>) gives the grant back and takes a fresh one first
/// (<see cref="BeforeHandlerAsync"/>), so the limit holds at the handlers' start times unless a thread stalls for
/// longer than the other half between that check and the handler's first line.
/// Token reservations and a provider's Retry-After pause go to the store the same way.
/// </summary>
internal sealed class SharedRateGate
{
    private readonly ITemStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _freshFor;
    private readonly GrantClock _clock;
    private readonly ConcurrentDictionary<long, long> _grants = new(); // task id → when its grant was logged (store's clock)
    private long _retryAtTicks;

    private SharedRateGate(ITemStore store, RateLimitOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _clock = new GrantClock(time);
        Limit = SharedRateLimit.Of(options, options.SafetyMargin + options.SharedGrantMargin);
        // Checked before the handler's payload is read and its permit logged, which on a loaded machine can take tens of
        // milliseconds more: half the margin is kept for that.
        _freshFor = options.SharedGrantMargin / 2;
    }

    /// <summary>The shared windows as the store counts them.</summary>
    public SharedRateLimit Limit { get; }

    /// <summary>The gate for <paramref name="options"/>' shared limit, or null when its limits stay in this process.</summary>
    public static SharedRateGate? For(ITemStore store, TemOptions options, TimeProvider time, ILogger logger)
        => options.RateLimit is { SharedName: not null } limits ? new SharedRateGate(store, limits, time, logger) : null;

    /// <summary>Claims up to <paramref name="limit"/> tasks, no more than the shared limit grants now.</summary>
    public async ValueTask<IReadOnlyList<ClaimedTask>> ClaimAsync(WorkerRun run, int limit, CancellationToken cancellationToken)
    {
        var context = run.Context;
        var asked = _clock.NowMs();
        var claim = await _store.ClaimSharedAsync(Limit, context.Identity.Owner, run.TaskTypes, run.Scope, limit, context.Options.LeaseDuration, cancellationToken)
            .ConfigureAwait(false);
        Volatile.Write(ref _retryAtTicks, claim.RetryIn > TimeSpan.Zero ? _time.GetTimestamp() + StartRateGate.ToTicks(claim.RetryIn, _time) : 0);
        if (Limit.Starts.Count > 0 && claim.Tasks.Count > 0)
        {
            _clock.Observe(asked, claim.GrantedAtMs);
            ForgetStale(claim.GrantedAtMs);
            foreach (var task in claim.Tasks)
            {
                _grants[task.Id] = claim.GrantedAtMs;
            }
        }

        return claim.Tasks;
    }

    /// <summary>When the last claim was held back by the shared limit: how long until it has room; otherwise null.</summary>
    public TimeSpan? RetryIn()
    {
        var at = Volatile.Read(ref _retryAtTicks);
        var now = _time.GetTimestamp();
        return at == 0 ? null : at > now ? _time.GetElapsedTime(now, at) : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>
    /// Called right before a claimed task's handler: if its grant is older than the margin covers (a loaded machine,
    /// a slow hand-off), waits for a fresh grant of one start, so that the start still falls inside a counted window.
    /// The old grant is given back in the same transaction: no start happened under it.
    /// </summary>
    public async ValueTask BeforeHandlerAsync(long taskId, CancellationToken cancellationToken)
    {
        if (!_grants.TryRemove(taskId, out var grantedAt) || _clock.AgeOf(grantedAt) <= _freshFor)
        {
            return;
        }

        SharedRateLog.GrantRenewed(_logger, taskId, _clock.AgeOf(grantedAt));
        long? stale = grantedAt;
        while (true)
        {
            var asked = _clock.NowMs();
            var grant = await _store.AcquireSharedStartsAsync(Limit, 1, stale, cancellationToken).ConfigureAwait(false);
            stale = null;
            if (grant.Granted > 0)
            {
                _clock.Observe(asked, grant.GrantedAtMs);
                if (_clock.AgeOf(grant.GrantedAtMs) <= _freshFor)
                {
                    return;
                }

                stale = grant.GrantedAtMs; // even the renewal came back too late (a stalled process): renew again
                continue;
            }

            await Task.Delay(grant.RetryIn, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the shared token windows grant all of <paramref name="tokens"/>, and logs them.</summary>
    public async ValueTask ReserveTokensAsync(int tokens, CancellationToken cancellationToken)
    {
        if (tokens <= 0 || Limit.Tokens.Count == 0)
        {
            return;
        }

        while (true)
        {
            var grant = await _store.ReserveSharedTokensAsync(Limit, tokens, cancellationToken).ConfigureAwait(false);
            if (grant.Granted > 0)
            {
                return;
            }

            await Task.Delay(grant.RetryIn, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Pauses every engine sharing the limit for <paramref name="delay"/> (a provider's Retry-After). This engine has
    /// paused itself already; the write to the store runs in the background and a failure is logged, not thrown.
    /// </summary>
    public void Pause(TimeSpan delay) => _ = PauseCoreAsync(delay);

    private async Task PauseCoreAsync(TimeSpan delay)
    {
        try
        {
            await _store.PauseSharedAsync(Limit, delay, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SharedRateLog.PauseNotShared(_logger, Limit.Name, delay, ex);
        }
    }

    /// <summary>Drops grants whose handler never asked (its run ended before the handler): nothing holds them after a minute.</summary>
    private void ForgetStale(long nowMs)
    {
        if (_grants.Count < 1024)
        {
            return;
        }

        var horizon = nowMs - 60_000;
        foreach (var (id, grantedAt) in _grants)
        {
            if (grantedAt < horizon)
            {
                _grants.TryRemove(id, out _);
            }
        }
    }
}
