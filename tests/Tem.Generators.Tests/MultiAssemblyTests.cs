using System.Reflection;
using Microsoft.CodeAnalysis;

namespace Tem.Generators.Tests;

/// <summary>Each assembly gets its own TemHandlers/TemTasks in its own namespace; an app combines them.</summary>
public sealed class MultiAssemblyTests
{
    private const string LibrarySource = """
        using System.Threading.Tasks;
        using Tem;

        namespace Acme.Lib;

        public sealed record Invoice(string Number, decimal Total);

        public static class InvoiceHandlers
        {
            [TemHandler("invoice.send")]
            public static Task Send(Invoice invoice) => Task.CompletedTask;
        }
        """;

    private const string AppSource = """
        using System.Threading.Tasks;
        using Tem;

        namespace Acme.App;

        public sealed record Ping(int N);

        public static class AppHandlers
        {
            [TemHandler("ping")]
            public static ValueTask<Ping> Pong(Ping ping) => new(new Ping(ping.N + 1));

            // The library's payload type is described again here: each assembly is self-contained.
            [TemHandler("invoice.audit")]
            public static Task Audit(Acme.Lib.Invoice invoice) => Task.CompletedTask;
        }

        public static class Setup
        {
            public static ITemHandlerRegistry Registry() => TemHandlerRegistry.Combine(Acme.Lib.TemHandlers.Registry, Acme.App.TemHandlers.Registry);

            public static TaskType<Acme.Lib.Invoice> Send => Acme.Lib.TemTasks.InvoiceSend;

            public static TaskType<Ping, Ping> PingTask => Acme.App.TemTasks.Ping;
        }
        """;

    [Fact]
    public void TwoAssembliesWithHandlers_CompileAndCombine()
    {
        var library = GeneratorHarness.Run(LibrarySource, "Acme.Lib");
        Assert.Empty(library.CompilationProblems);
        Assert.Contains("namespace Acme.Lib", library.Sources["TemHandlers.g.cs"], StringComparison.Ordinal);
        using var libraryImage = new MemoryStream();
        Assert.True(library.Output.Emit(libraryImage, cancellationToken: TestContext.Current.CancellationToken).Success);
        var libraryAssembly = Assembly.Load(libraryImage.ToArray());

        var app = GeneratorHarness.Run(AppSource, "Acme.App", extraReferences: [MetadataReference.CreateFromImage(libraryImage.ToArray())]);
        Assert.Empty(GeneratorHarness.TemDiagnostics(app));
        Assert.Empty(app.CompilationProblems);

        // Both generated registries are public, in different namespaces, and Combine accepts them.
        ResolveEventHandler resolve = (_, e) => e.Name?.StartsWith("Acme.Lib,", StringComparison.Ordinal) == true ? libraryAssembly : null;
        AppDomain.CurrentDomain.AssemblyResolve += resolve;
        try
        {
            AssertApp(app.Load(), libraryAssembly);
        }
        finally
        {
            AppDomain.CurrentDomain.AssemblyResolve -= resolve;
        }
    }

    private static void AssertApp(Assembly appAssembly, Assembly libraryAssembly)
    {
        var combined = appAssembly.GetType("Acme.App.Setup", throwOnError: true)!.GetMethod("Registry")!.Invoke(null, null);
        Assert.IsAssignableFrom<ITemHandlerRegistry>(combined);
        var send = appAssembly.GetType("Acme.App.Setup")!.GetProperty("Send")!.GetValue(null)!;
        Assert.Equal("invoice.send", send.GetType().GetProperty("Name")!.GetValue(send));
        Assert.NotNull(libraryAssembly.GetType("Acme.Lib.TemJsonContext"));
        Assert.NotNull(appAssembly.GetType("Acme.App.TemJsonContext"));
    }
}
