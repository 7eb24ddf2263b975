namespace Tem.ProviderSimulator.Batches;

/// <summary>Where a simulated provider batch is; each API names these in its own words.</summary>
internal enum BatchPhase
{
    Validating,
    FailedValidation,
    InProgress,
    Finalizing,
    Completed,
    Expired,
    Cancelling,
    Cancelled,
}
