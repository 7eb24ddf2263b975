namespace Tem;

/// <summary>The base of every error Tem raises for something the caller can fix.</summary>
public class TemException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TemException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>An option or argument is out of range; the message names it and the allowed values.</summary>
public sealed class TemConfigurationException(string message) : TemException(message);

/// <summary>The database file cannot be used: not SQLite, from a newer Tem, unreadable, or in a missing folder.</summary>
public sealed class TemDatabaseException(string message, Exception? innerException = null) : TemException(message, innerException);

/// <summary>A batch with the same code already exists.</summary>
public sealed class DuplicateBatchCodeException(string code)
    : TemException($"A batch with code '{code}' already exists. Use Batches.GetByCodeAsync(\"{code}\") to reopen it, or choose another code.")
{
    /// <summary>The code that was taken.</summary>
    public string Code { get; } = code;
}

/// <summary><see cref="BatchService.GetOrCreateAsync"/> found the code taken by a batch of another type.</summary>
public sealed class BatchTypeMismatchException(string code, string existingType, string requestedType)
    : TemException($"A batch with code '{code}' already exists with type '{existingType}', not '{requestedType}'. " +
        $"Choose another code for the '{requestedType}' batch, or pass type '{existingType}' to reopen the existing one.")
{
    /// <summary>The code both batches would share.</summary>
    public string Code { get; } = code;

    /// <summary>The type of the batch that has the code.</summary>
    public string ExistingType { get; } = existingType;

    /// <summary>The type the caller asked for.</summary>
    public string RequestedType { get; } = requestedType;
}

/// <summary>No batch has the given id or code.</summary>
public sealed class BatchNotFoundException(string message) : TemException(message);

/// <summary>No task has the given id.</summary>
public sealed class TaskNotFoundException(long taskId)
    : TemException($"No task has id {taskId}. Task ids come from EnqueueAsync or Tasks.ListAsync.")
{
    /// <summary>The id that was not found.</summary>
    public long TaskId { get; } = taskId;
}

/// <summary>The batch is cancelled or interrupted and takes no new tasks.</summary>
public sealed class BatchNotActiveException(string message) : TemException(message);
