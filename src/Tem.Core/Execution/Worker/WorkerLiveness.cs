using System.Collections.Concurrent;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// Which workers are alive, for <c>ResumeAsync</c>: it may take only what a dead worker held. A heartbeat that has
/// not expired says alive, except where this process knows better: a worker of this machine whose process is gone
/// is dead at once (a killed process's heartbeat lingers until it expires), and so is a worker of this process that
/// is no longer running. A zombie (killed, not yet reaped: an init that reaps slowly, a container without one) is
/// gone: it runs nothing and never will. Across machines the heartbeat stays the authority.
/// </summary>
internal static class WorkerLiveness
{
    private static readonly ConcurrentDictionary<string, byte> RunningHere = new(StringComparer.Ordinal);

    /// <summary>This process's identity for a new worker.</summary>
    public static WorkerIdentity NewIdentity()
    {
        var machine = Environment.MachineName;
        var pid = Environment.ProcessId;
        return new WorkerIdentity($"{machine}:{pid}:{Guid.NewGuid():N}"[..^24], machine, pid);
    }

    public static void Started(string owner) => RunningHere[owner] = 0;

    public static void Stopped(string owner) => RunningHere.TryRemove(owner, out _);

    /// <summary>The owners among <paramref name="heartbeats"/> that are really alive.</summary>
    public static IReadOnlyCollection<string> Alive(IEnumerable<WorkerIdentity> heartbeats)
    {
        var machine = Environment.MachineName;
        var pid = Environment.ProcessId;
        var alive = new List<string>();
        foreach (var worker in heartbeats)
        {
            var isAlive = worker.Machine != machine ? true
                : worker.ProcessId == pid ? RunningHere.ContainsKey(worker.Owner)
                : ProcessExists(worker.ProcessId);
            if (isAlive)
            {
                alive.Add(worker.Owner);
            }
        }

        return alive;
    }

    private static bool ProcessExists(int pid)
    {
        if (IsZombie(pid))
        {
            return false;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="pid"/> is a zombie on Linux: the state after the command in <c>/proc/&lt;pid&gt;/stat</c>
    /// ("1234 (name) Z …"; the name may hold spaces and parentheses, so the last ')' ends it). Elsewhere, false.
    /// </summary>
    internal static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] == 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // no /proc (not Linux), or the process is gone: Process says the rest
        }
    }
}
