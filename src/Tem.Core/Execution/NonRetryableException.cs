namespace Tem;

/// <summary>Thrown by a handler to fail its task at once, without further attempts.</summary>
public class NonRetryableException : Exception
{
    /// <summary>Creates the exception with a message that is stored as the task's error.</summary>
    public NonRetryableException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NonRetryableException(string message, Exception? innerException) : base(message, innerException) { }
}
