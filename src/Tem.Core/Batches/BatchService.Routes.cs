using Tem.Storage;

namespace Tem;

public sealed partial class BatchService
{
    /// <summary>
    /// Sets how the batch's LLM tasks reach the provider (see <see cref="LlmRoute"/>); it takes effect at the next claim.
    /// Tasks already inside a provider batch finish there; no task runs twice.
    /// </summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    /// <exception cref="NotSupportedException">The store keeps no routes (PostgreSQL, for now): every LLM task runs live there.</exception>
    public async Task SetRouteAsync(long batchId, LlmRoute route, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(route))
        {
            throw new ArgumentOutOfRangeException(nameof(route), route, "A route is LlmRoute.Live, LlmRoute.ProviderBatch or LlmRoute.Auto.");
        }

        if (!await Submissions().SetRouteAsync(batchId, route, cancellationToken).ConfigureAwait(false))
        {
            throw NotFound(batchId);
        }
    }

    /// <summary>The batch's route (<see cref="LlmRoute.Live"/> unless set).</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<LlmRoute> GetRouteAsync(long batchId, CancellationToken cancellationToken = default)
        => _store is IProviderSubmissionStore submissions
            ? await submissions.GetRouteAsync(batchId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(batchId)
            : (await RequireAsync(batchId, cancellationToken).ConfigureAwait(false)) is null ? throw NotFound(batchId) : LlmRoute.Live;

    /// <summary>The provider batches that carried (or carry) the batch's LLM tasks, oldest first; empty on a store without them.</summary>
    public async Task<IReadOnlyList<ProviderBatchInfo>> ListProviderBatchesAsync(long batchId, CancellationToken cancellationToken = default)
        => _store is IProviderSubmissionStore submissions ? await submissions.ListSubmissionsAsync(batchId, cancellationToken).ConfigureAwait(false) : [];

    private static BatchNotFoundException NotFound(long batchId)
        => new($"No batch has id {batchId}. Batch ids come from Batches.CreateAsync, GetByCodeAsync or ListAsync.");

    private IProviderSubmissionStore Submissions() => _store as IProviderSubmissionStore
        ?? throw new NotSupportedException($"The store '{_store.Description}' keeps no LLM routes yet (provider batches run on SQLite stores); its LLM tasks run live. Use a SQLite database for LlmRoute.ProviderBatch and LlmRoute.Auto.");
}
