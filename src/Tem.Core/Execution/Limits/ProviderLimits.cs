using System.Collections.Concurrent;
using Tem.Execution;

namespace Tem;

/// <summary>
/// The pacing of every provider call, kept per limit group (<see cref="LimitGroupKey"/>: by default endpoint host +
/// API-key fingerprint + model), each group learned from its own responses only. It exists before any engine, registry
/// or worker, so a client can be built first and handed to both: set it as <see cref="TemOptions.ProviderLimits"/>
/// (the engine makes its own when that is null; either way <see cref="TemEngine.ProviderLimits"/> exposes it).
/// <see cref="ProviderRateLimitHandler"/> takes a permit per HTTP request; adapters that are not HTTP call
/// <see cref="AcquireAsync(LimitGroupKey, long, CancellationToken)"/> right before the call leaves.
/// </summary>
/// <example><code>
/// var limits = new ProviderLimits();
/// var http = new HttpClient(new ProviderRateLimitHandler(limits) { InnerHandler = new SocketsHttpHandler() });
/// await using var tem = TemEngine.Open(new TemOptions { DatabasePath = "tem.db", ProviderLimits = limits }, registry);
///
/// // Or around a call that is not HTTP:
/// using var permit = await limits.AcquireAsync(LimitGroupKey.For(endpoint, apiKey, "gpt-4o-mini"), expectedTokens: 900, ct);
/// var response = await client.GetResponseAsync(messages, options, ct);
/// permit.Complete(response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount);
/// </code></example>
public sealed class ProviderLimits
{
    private readonly ConcurrentDictionary<LimitGroupKey, LimitGroup> _groups = new();
    private readonly ProviderLimitsOptions _options;
    private readonly TimeProvider _time;
    private Storage.ITemStore? _store;

    /// <summary>Creates the pacing of a set of provider calls.</summary>
    /// <param name="options">Configured limits per group; null for none.</param>
    /// <param name="time">The clock; null for the system's.</param>
    /// <exception cref="TemConfigurationException">An option is out of range.</exception>
    public ProviderLimits(ProviderLimitsOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new ProviderLimitsOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The options the limits were made with.</summary>
    public ProviderLimitsOptions Options => _options;

    /// <summary>
    /// Waits until <paramref name="group"/>'s limits have room for one call of about <paramref name="expectedTokens"/>
    /// tokens (prompt estimate + the most it may generate; 0 when unknown: the group's learned charge is used), and grants it.
    /// Call it right before the call leaves: the provider counts a request when it arrives. The permit is
    /// <see cref="ProviderCallPermit.Current"/> for the caller's async flow until it is settled.
    /// </summary>
    public ValueTask<ProviderCallPermit> AcquireAsync(LimitGroupKey group, long expectedTokens, CancellationToken cancellationToken)
        => AcquireAsync(group, expectedTokens, 0, cancellationToken);

    /// <summary>
    /// As <see cref="AcquireAsync(LimitGroupKey, long, CancellationToken)"/>, with the expected input (prompt) and
    /// output (max tokens) apart, for providers that limit them apart (Anthropic).
    /// </summary>
    public ValueTask<ProviderCallPermit> AcquireAsync(LimitGroupKey group, long expectedInputTokens, long expectedOutputTokens, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(group.Name))
        {
            throw new ArgumentException("The limit group is empty (default(LimitGroupKey)); make one with LimitGroupKey.For or LimitGroupKey.Named.", nameof(group));
        }

        var permit = new ProviderCallPermit(GroupFor(group), new CallCost(Math.Max(0, expectedInputTokens), Math.Max(0, expectedOutputTokens)));
        // Set here, synchronously, so it flows on in the caller's context (an async method's changes would not).
        ProviderCallPermit.SetAmbient(permit);
        return GrantAsync(permit, cancellationToken);
    }

    private static async ValueTask<ProviderCallPermit> GrantAsync(ProviderCallPermit permit, CancellationToken cancellationToken)
    {
        // The budget first (issue 25): a call the budget refuses or holds back takes no rate permit meanwhile.
        var spend = await TaskSpend.ReserveForCurrentAsync(permit, cancellationToken).ConfigureAwait(false);
        try
        {
            await permit.GroupState.AcquireAsync(permit, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            spend?.Refused(); // no request left under it
            throw;
        }

        permit.Spend = spend;
        return permit;
    }

    /// <summary>What every group knows now: limits, remaining, refusals, pauses.</summary>
    public IReadOnlyList<LimitGroupSnapshot> Snapshot()
        => _groups.Values.Select(g => g.Snapshot()).OrderBy(s => s.Group.Name, StringComparer.Ordinal).ToArray();

    /// <inheritdoc/>
    public override string ToString() => string.Join(" | ", Snapshot());

    /// <summary>The group's state, made on first use with its configured limits (by name, then by model).</summary>
    internal LimitGroup GroupFor(LimitGroupKey key) => _groups.GetOrAdd(key, static (k, self) => new LimitGroup(k, self.ConfiguredFor(k), self._options, self._time)
    {
        SharedStore = self.SharedStore,
        OthersFlowing = self.OthersFlowing,
    }, this);

    /// <summary>Whether a group other than <paramref name="group"/> granted a call in the last 2 s: its tasks are on the worker too.</summary>
    private bool OthersFlowing(LimitGroup group)
    {
        foreach (var other in _groups.Values)
        {
            if (!ReferenceEquals(other, group) && other.GrantedWithin(2))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The store of the engine these limits pace, where a group configured with <see cref="RateLimitOptions.SharedName"/>
    /// shares its windows and its Retry-After pause with every process on the database; null before an engine opens.
    /// </summary>
    internal Storage.ITemStore? SharedStore() => Volatile.Read(ref _store);

    /// <summary>An engine opened on <paramref name="store"/> with these limits: shared groups use it from now on.</summary>
    internal void AttachStore(Storage.ITemStore store) => Volatile.Write(ref _store, store);

    /// <summary>The engine of <paramref name="store"/> is closing: its store is no longer used (unless another engine took over).</summary>
    internal void DetachStore(Storage.ITemStore store) => Interlocked.CompareExchange(ref _store, null, store);

    private RateLimitOptions? ConfiguredFor(LimitGroupKey key)
    {
        var groups = _options.Groups;
        if (groups is null)
        {
            return null;
        }

        return groups.TryGetValue(key.Name, out var byName) ? byName
            : key.Model is { } model && groups.TryGetValue(model, out var byModel) ? byModel
            : null;
    }
}
