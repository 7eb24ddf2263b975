namespace Tem;

/// <summary>What an enqueue did.</summary>
/// <param name="Inserted">Tasks added.</param>
/// <param name="Skipped">Tasks not added because the batch already had their idempotency key.</param>
public readonly record struct EnqueueResult(long Inserted, long Skipped);
