namespace Tem;

/// <summary>Which tasks <c>Tasks.ListAsync</c> returns, in id order. Page with <see cref="AfterId"/>.</summary>
public sealed record TaskQuery
{
    /// <summary>Only this batch's tasks.</summary>
    public long? BatchId { get; init; }

    /// <summary>Only tasks in this status.</summary>
    public TemTaskStatus? Status { get; init; }

    /// <summary>Only tasks of this type.</summary>
    public string? Type { get; init; }

    /// <summary>Only tasks with a greater id: pass the last id of the previous page.</summary>
    public long AfterId { get; init; }

    /// <summary>At most this many tasks (1 to 10,000). Default 100.</summary>
    public int Limit { get; init; } = 100;
}
