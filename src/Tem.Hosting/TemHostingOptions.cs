namespace Tem.Hosting;

/// <summary>How the hosted worker behaves with the host.</summary>
public sealed class TemHostingOptions
{
    /// <summary>Whether the worker starts with the host. Default true; false for processes that only enqueue or read.</summary>
    public bool StartWorker { get; set; } = true;

    /// <summary>How long running handlers get to finish when the host stops, before they are cancelled and their
    /// tasks returned to pending. Default 20 s: inside the host's default 30 s shutdown timeout.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
