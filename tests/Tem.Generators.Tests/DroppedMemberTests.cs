using System.Globalization;

namespace Tem.Generators.Tests;

/// <summary>
/// Issue 27 item 7: a value-tuple payload used to compile once a context covered it (TEM008's advice), then stored
/// <c>{"Pair":{}}</c>. TEM011 stops that build whatever context is named, unless that context really writes fields.
/// </summary>
public sealed class DroppedMemberTests
{
    private const string Handlers = """
        using System.Text.Json.Serialization;
        using System.Threading.Tasks;
        using Tem;

        [assembly: TemJsonContext(typeof(App.Json))]

        namespace App;

        public sealed record Job(string Id, (int A, string B) Pair);

        public sealed class Counted
        {
            [JsonInclude]
            public int Count;

            [JsonIgnore]
            public int Scratch;

            public string Name { get; set; } = "";
        }

        OPTIONS
        [JsonSerializable(typeof(Job))]
        [JsonSerializable(typeof(Counted))]
        internal partial class Json : JsonSerializerContext;

        public static class A
        {
            [TemHandler("job")]
            public static Task Run(Job payload) => Task.CompletedTask;

            [TemHandler("counted")]
            public static Task Count(Counted payload) => Task.CompletedTask;
        }
        """;

    [Fact]
    public void ANamedContextWithoutIncludeFields_DoesNotSilenceIt()
    {
        var result = GeneratorHarness.Run(Handlers.Replace("OPTIONS", "", StringComparison.Ordinal));

        var diagnostic = Assert.Single(GeneratorHarness.TemDiagnostics(result));
        Assert.Equal("TEM011", diagnostic.Id);
        var message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("member 'App.Job.Pair'", message, StringComparison.Ordinal);
        Assert.Contains("use a record with properties instead", message, StringComparison.Ordinal);
        Assert.DoesNotContain("[JsonSerializable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AContextThatIncludesFields_AndFieldsMarkedJsonInclude_AreFine()
    {
        var result = GeneratorHarness.Run(Handlers.Replace("OPTIONS", "[JsonSourceGenerationOptions(IncludeFields = true)]", StringComparison.Ordinal));

        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
    }
}
