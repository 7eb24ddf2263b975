namespace Tem.Aspire.Hosting;

/// <summary>A command of the Tem dashboard resource found no SQLite file at the resource's database path.</summary>
public sealed class TemDatabaseNotFoundException : Exception
{
    /// <summary>Creates the exception with a message that names the path and what to do.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public TemDatabaseNotFoundException(string message)
        : base(message)
    {
    }
}
