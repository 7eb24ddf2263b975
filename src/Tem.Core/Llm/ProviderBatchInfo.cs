namespace Tem;

/// <summary>One provider batch (a submission) of a Tem batch, as <see cref="BatchService.ListProviderBatchesAsync"/> reports it.</summary>
/// <param name="Provider"><c>OpenAI</c> or <c>Anthropic</c>.</param>
/// <param name="Model">The one model of its lines.</param>
/// <param name="State">Tem's step: <c>claimed</c>, <c>uploaded</c>, <c>creating</c>, <c>submitted</c> or <c>done</c>.</param>
/// <param name="ProviderBatchId">The provider's batch id, once created.</param>
/// <param name="ProviderStatus">The provider's last reported status, or null.</param>
/// <param name="Lines">How many tasks it carries.</param>
/// <param name="CreatedAt">When Tem recorded it.</param>
/// <param name="EndedAt">When its results were written, or null.</param>
public sealed record ProviderBatchInfo(string Provider, string Model, string State, string? ProviderBatchId, string? ProviderStatus, int Lines, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt);
