namespace Tem;

/// <summary>Why a batch was interrupted.</summary>
public enum InterruptionKind
{
    /// <summary>A reason this version does not know (written by another tool or a newer Tem).</summary>
    Other,

    /// <summary><see cref="InterruptionCriteria.MaxErrorRate"/> was exceeded.</summary>
    ErrorRate,

    /// <summary><see cref="InterruptionCriteria.MaxFailedTasks"/> was reached.</summary>
    FailedTasks,

    /// <summary><see cref="InterruptionCriteria.MaxConsecutiveFailures"/> was reached.</summary>
    ConsecutiveFailures,

    /// <summary><see cref="InterruptionCriteria.MaxRuntime"/> passed.</summary>
    Runtime,

    /// <summary>The provider refused too often within a period (rate limits).</summary>
    RateLimitHits,

    /// <summary>The provider reported overload or refused concurrent requests too often within a period.</summary>
    Overload,

    /// <summary><c>Batches.InterruptAsync</c> was called.</summary>
    Manual,

    /// <summary>The provider said the account's quota or spend limit is used up (<see cref="ProviderAccountException"/>).</summary>
    Quota,

    /// <summary>The provider refused for billing: no payment method, or a credit balance too low.</summary>
    Billing,

    /// <summary>The provider refused the API key (HTTP 401 or 403).</summary>
    Credentials,

    /// <summary>A provider call would have taken the batch past its <see cref="BatchBudget"/> (<see cref="BudgetExceededException"/>).</summary>
    Budget,
}
