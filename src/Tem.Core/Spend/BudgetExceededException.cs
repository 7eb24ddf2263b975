namespace Tem;

/// <summary>
/// A provider call would take its batch past its budget (<see cref="BatchBudget"/>), and no call in flight could free
/// enough. Thrown before the request leaves; the engine does not use the task's attempt: the task goes back to pending
/// and the batch is interrupted with <see cref="InterruptionKind.Budget"/> and this message, until the budget is raised
/// and <c>Batches.ResumeAsync</c> is called.
/// </summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was spent, what is left and what the call needed.</param>
    public BudgetExceededException(string message) : base(message)
    {
    }
}
