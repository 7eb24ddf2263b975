namespace Tem;

/// <summary>A named group of tasks, such as one night's run of LLM rewrites.</summary>
public sealed record Batch
{
    /// <summary>The batch id.</summary>
    public required long Id { get; init; }

    /// <summary>The user's unique tag, such as a date.</summary>
    public required string Code { get; init; }

    /// <summary>The user's kind of batch, for filtering.</summary>
    public required string Type { get; init; }

    /// <summary>Where the batch is in its life.</summary>
    public required BatchStatus Status { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its last task ended, if it has.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The user's metadata given at creation.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The criteria that interrupt it automatically, if any.</summary>
    public InterruptionCriteria? InterruptionCriteria { get; init; }

    /// <summary>Two reads of the same batch in the same state are equal: metadata is compared by its entries, not by reference.</summary>
    public bool Equals(Batch? other) => other is not null
        && Id == other.Id && Code == other.Code && Type == other.Type && Status == other.Status
        && CreatedAt == other.CreatedAt && CompletedAt == other.CompletedAt && InterruptionCriteria == other.InterruptionCriteria
        && Metadata.Count == other.Metadata.Count
        && Metadata.All(entry => other.Metadata.TryGetValue(entry.Key, out var value) && value == entry.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, Code, Status, CompletedAt);
}
