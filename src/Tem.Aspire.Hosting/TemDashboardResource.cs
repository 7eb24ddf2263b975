using Aspire.Hosting.ApplicationModel;

namespace Tem.Aspire.Hosting;

/// <summary>
/// The Tem dashboard of one database in an Aspire app host: the <c>tem dashboard</c> command (the Tem.Cli tool) run as
/// an executable, with its page as the resource's link and the batch commands (retry failed, interrupt, resume) on it.
/// </summary>
public sealed class TemDashboardResource : ExecutableResource
{
    /// <summary>The name of the dashboard's HTTP endpoint.</summary>
    public const string EndpointName = "http";

    /// <summary>Creates the resource; <see cref="TemDashboardBuilderExtensions.AddTemDashboard"/> adds it with its endpoint and commands.</summary>
    /// <param name="name">The resource's name in the app host.</param>
    /// <param name="database">A SQLite file path or a PostgreSQL connection string (<c>Host=…;Database=…</c>, optionally <c>Schema=…</c>).</param>
    /// <param name="command">The tem tool to run: <c>tem</c> on the PATH after <c>dotnet tool install --global Tem.Cli</c>, or a full path.</param>
    /// <param name="workingDirectory">Where the tool runs; a relative SQLite path is taken from here.</param>
    public TemDashboardResource(string name, string database, string command, string workingDirectory)
        : base(name, command, workingDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        Database = database;
    }

    /// <summary>The database the dashboard shows and the commands steer.</summary>
    public string Database { get; }

    /// <summary>The dashboard's HTTP endpoint.</summary>
    public EndpointReference Endpoint => new(this, EndpointName);
}
