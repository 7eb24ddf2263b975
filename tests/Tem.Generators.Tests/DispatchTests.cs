using System.Collections;
using System.Reflection;

namespace Tem.Generators.Tests;

/// <summary>
/// Runs the generated registrations against a recording stand-in for the runtime contract (the engine is not on
/// this branch): every handler is registered under its task type, and each delegate calls the right method with
/// payload, TaskContext and CancellationToken in the declared order.
/// </summary>
public sealed class DispatchTests
{
    internal const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization.Metadata;
        using System.Threading;
        using System.Threading.Tasks;

        namespace Tem
        {
            [AttributeUsage(AttributeTargets.Method)]
            public sealed class TemHandlerAttribute(string taskType) : Attribute
            {
                public string TaskType { get; } = taskType;
                public int MaxAttempts { get; set; }
                public int TimeoutSeconds { get; set; }
                public int Priority { get; set; }
            }

            public sealed class TaskContext(long taskId, int attempt)
            {
                public long TaskId { get; } = taskId;
                public int Attempt { get; } = attempt;
            }

            public class TaskType<TPayload>(string name, JsonTypeInfo<TPayload> payloadTypeInfo, int? maxAttempts = null, TimeSpan? timeout = null, int priority = 0)
            {
                public string Name { get; } = name;
                public JsonTypeInfo<TPayload> PayloadTypeInfo { get; } = payloadTypeInfo;
                public int? MaxAttempts { get; } = maxAttempts;
                public TimeSpan? Timeout { get; } = timeout;
                public int Priority { get; } = priority;
            }

            public sealed class TaskType<TPayload, TResult>(string name, JsonTypeInfo<TPayload> payloadTypeInfo, JsonTypeInfo<TResult> resultTypeInfo, int? maxAttempts = null, TimeSpan? timeout = null, int priority = 0)
                : TaskType<TPayload>(name, payloadTypeInfo, maxAttempts, timeout, priority)
            {
                public JsonTypeInfo<TResult> ResultTypeInfo { get; } = resultTypeInfo;
            }

            // Tem.Core's TemHandlerScope opens a DI scope per task; these reference assemblies have no DI, and
            // Tem.Core's falls back to the provider itself when it offers no IServiceScopeFactory, as here.
            public static class TemHandlerScope
            {
                public static ValueTask RunAsync<THandler>(IServiceProvider services, Func<THandler, ValueTask> run) => run(Resolve<THandler>(services));

                public static ValueTask<TResult> RunAsync<THandler, TResult>(IServiceProvider services, Func<THandler, ValueTask<TResult>> run) => run(Resolve<THandler>(services));

                private static THandler Resolve<THandler>(IServiceProvider services)
                    => services.GetService(typeof(THandler)) is THandler handler
                        ? handler
                        : throw new InvalidOperationException($"The service provider has no {typeof(THandler).FullName} to run its [TemHandler] methods.");
            }

            public interface ITemHandlerRegistry
            {
                void RegisterWith(TemWorker worker);
            }

            public sealed class TemWorker
            {
                public Dictionary<string, Func<object, object, CancellationToken, Task<object?>>> Handlers { get; } = new();

                public void Register<TPayload, TResult>(TaskType<TPayload, TResult> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask<TResult>> handler)
                    => Handlers.Add(taskType.Name, async (p, c, ct) => await handler((TPayload)p, (TaskContext)c, ct));

                public void Register<TPayload>(TaskType<TPayload> taskType, Func<TPayload, TaskContext, CancellationToken, ValueTask> handler)
                    => Handlers.Add(taskType.Name, async (p, c, ct) => { await handler((TPayload)p, (TaskContext)c, ct); return null; });
            }
        }

        namespace App
        {
            using Tem;

            public static class Log
            {
                public static List<string> Calls { get; } = new();
            }

            public sealed record P(string Text);

            public sealed record R(string Text, long TaskId);

            public static class StaticHandlers
            {
                [TemHandler("upper")]
                public static Task<R> Upper(P payload, CancellationToken cancellationToken, TaskContext context)
                {
                    Log.Calls.Add($"upper:{payload.Text}:{context.Attempt}:{cancellationToken.CanBeCanceled}");
                    return Task.FromResult(new R(payload.Text.ToUpperInvariant(), context.TaskId));
                }

                [TemHandler("void")]
                public static ValueTask Void(P payload)
                {
                    Log.Calls.Add("void:" + payload.Text);
                    return default;
                }
            }

            public sealed class Counter
            {
                private int _count;

                [TemHandler("count")]
                public ValueTask<int> Count(P payload, TaskContext context)
                {
                    Log.Calls.Add($"count:{payload.Text}:{context.TaskId}");
                    return new(++_count);
                }
            }
        }
        """;

    [Fact]
    public async Task GeneratedRegistry_DispatchesEachTaskTypeToItsHandler()
    {
        var result = GeneratorHarness.Run(Source, "App", referenceTemCore: false);
        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        var assembly = result.Load();

        var requested = new List<Type>();
        var services = new RecordingServices(requested, assembly.GetType("App.Counter", throwOnError: true)!);
        var registry = assembly.GetType("App.TemHandlers", throwOnError: true)!.GetMethod("CreateRegistry", [typeof(IServiceProvider)])!.Invoke(null, [services])!;
        var worker = Activator.CreateInstance(assembly.GetType("Tem.TemWorker", throwOnError: true)!)!;
        registry.GetType().GetMethod("RegisterWith")!.Invoke(registry, [worker]);
        var handlers = (IDictionary)worker.GetType().GetProperty("Handlers")!.GetValue(worker)!;
        Assert.Equal(["count", "upper", "void"], handlers.Keys.Cast<string>().Order(StringComparer.Ordinal));

        var payloadType = assembly.GetType("App.P", throwOnError: true)!;
        var contextType = assembly.GetType("Tem.TaskContext", throwOnError: true)!;
        object Payload(string text) => Activator.CreateInstance(payloadType, text)!;
        object Context(long id, int attempt) => Activator.CreateInstance(contextType, id, attempt)!;
        using var cts = new CancellationTokenSource();
        Task<object?> Invoke(string type, object payload, object context)
            => ((Func<object, object, CancellationToken, Task<object?>>)handlers[type]!)(payload, context, cts.Token);

        var upper = await Invoke("upper", Payload("abc"), Context(7, 2));
        Assert.Equal("R { Text = ABC, TaskId = 7 }", upper?.ToString());
        Assert.Null(await Invoke("void", Payload("v"), Context(8, 1)));

        // The instance comes from the service provider once per task, so a transient gives a fresh counter each time.
        Assert.Equal(1, await Invoke("count", Payload("a"), Context(9, 1)));
        Assert.Equal(1, await Invoke("count", Payload("b"), Context(10, 1)));
        Assert.Equal(2, requested.Count);

        var log = (IEnumerable<string>)assembly.GetType("App.Log")!.GetProperty("Calls")!.GetValue(null)!;
        Assert.Equal(["upper:abc:2:True", "void:v", "count:a:9", "count:b:10"], log);
    }

    [Fact]
    public void ServiceProviderWithoutTheHandlerType_FailsWithAClearMessage()
    {
        var assembly = GeneratorHarness.Run(Source, "App", referenceTemCore: false).Load();
        var registry = assembly.GetType("App.TemHandlers", throwOnError: true)!.GetMethod("CreateRegistry", [typeof(IServiceProvider)])!.Invoke(null, [new RecordingServices([], typeof(object))])!;
        var worker = Activator.CreateInstance(assembly.GetType("Tem.TemWorker", throwOnError: true)!)!;
        registry.GetType().GetMethod("RegisterWith")!.Invoke(registry, [worker]);
        var handlers = (IDictionary)worker.GetType().GetProperty("Handlers")!.GetValue(worker)!;
        var count = (Func<object, object, CancellationToken, Task<object?>>)handlers["count"]!;
        var payload = Activator.CreateInstance(assembly.GetType("App.P")!, "x")!;
        var context = Activator.CreateInstance(assembly.GetType("Tem.TaskContext")!, 1L, 1)!;

        var error = Assert.Throws<InvalidOperationException>(() => count(payload, context, CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal("The service provider has no App.Counter to run its [TemHandler] methods.", error.Message); // the real message: Tem.Hosting.Tests
    }

    private sealed class RecordingServices(List<Type> requested, Type provides) : IServiceProvider
    {
        public object? GetService(Type serviceType)
        {
            requested.Add(serviceType);
            return serviceType == provides ? Activator.CreateInstance(serviceType) : null;
        }
    }
}
