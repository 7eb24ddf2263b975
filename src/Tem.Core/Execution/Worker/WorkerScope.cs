namespace Tem;

/// <summary>
/// Which batches a worker claims from: set <see cref="TemOptions.Scope"/> so that one process drains an urgent batch
/// while another keeps the nightly one going. Empty (the default) claims from every active batch.
/// </summary>
public sealed record WorkerScope
{
    /// <summary>Claim only tasks of these batches; null for any.</summary>
    public IReadOnlyCollection<long>? BatchIds { get; init; }

    /// <summary>Claim only tasks of batches of these types (the <c>type</c> given at <c>Batches.CreateAsync</c>); null for any.</summary>
    public IReadOnlyCollection<string>? BatchTypes { get; init; }

    internal void Validate()
    {
        if (BatchIds is { Count: 0 } || BatchTypes is { Count: 0 })
        {
            throw new TemConfigurationException("TemOptions.Scope names an empty list of batches or batch types, so the worker could claim nothing. Leave a list null to allow any.");
        }
    }
}
