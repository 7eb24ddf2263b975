using System.Reflection;
using Microsoft.Extensions.Logging;
using Tem.Execution;
using Xunit;

namespace Tem.Core.Tests;

/// <summary>Log pipelines filter on EventIds: each event the engine logs has its own, listed in <see cref="LogEvents"/>.</summary>
public class LogEventTests
{
    [Fact]
    public void Every_logged_event_has_a_distinct_id_from_the_registry()
    {
        var registry = typeof(LogEvents).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var reused = registry.GroupBy(p => p.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(p => p.Key))}").ToList();
        Assert.True(reused.Count == 0, "ids listed twice in LogEvents: " + string.Join("; ", reused));

        var logged = typeof(TemEngine).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();
        Assert.True(logged.Count >= registry.Count, $"found {logged.Count} [LoggerMessage] methods for {registry.Count} registered ids");
        var shared = logged.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method))}").ToList();
        Assert.True(shared.Count == 0, "one EventId for several events: " + string.Join("; ", shared));
        var unregistered = logged.Where(x => !registry.TryGetValue(x.Method[(x.Method.IndexOf('.') + 1)..], out var id) || id != x.Attribute!.EventId).Select(x => x.Method).ToList();
        Assert.True(unregistered.Count == 0, "events whose id is not LogEvents.<their name>: " + string.Join(", ", unregistered));
    }
}
