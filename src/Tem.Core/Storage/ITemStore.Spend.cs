namespace Tem.Storage;

/// <summary>Budgets, reservations and usage (<see cref="SpendRules"/>), in the store's own transactions.</summary>
internal partial interface ITemStore
{
    /// <summary>Runs <paramref name="rules"/> over the store's spend ledger in one transaction (a write unless <paramref name="readOnly"/>).</summary>
    ValueTask<T> RunSpendAsync<T>(Func<ISpendLedger, ValueTask<T>> rules, bool readOnly, CancellationToken cancellationToken);
}
