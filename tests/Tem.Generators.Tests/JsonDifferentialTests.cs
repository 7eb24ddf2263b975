using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Tem.Generators.Tests;

/// <summary>
/// Tem's own JSON metadata must serialize every payload shape to exactly the bytes System.Text.Json's source
/// generator produces (same default options), and round-trip.
/// </summary>
public sealed class JsonDifferentialTests
{
    /// <summary>(type declaration, sample expressions); every type becomes a handler payload.</summary>
    internal static readonly (string Name, string Declaration, string[] Samples)[] Shapes =
    [
        ("S01", "public sealed record S01(string Text, int Count);", ["new S01(\"hello\", 42)", "new S01(null!, -1)"]),
        ("S02", "public sealed class S02 { public bool B { get; set; } public byte U8 { get; set; } public sbyte I8 { get; set; } public short I16 { get; set; } public ushort U16 { get; set; } public int I32 { get; set; } public uint U32 { get; set; } public long I64 { get; set; } public ulong U64 { get; set; } public float F { get; set; } public double D { get; set; } public decimal M { get; set; } public char C { get; set; } public string S { get; set; } = \"\"; }",
            ["new S02 { B = true, U8 = 255, I8 = -128, I16 = short.MinValue, U16 = ushort.MaxValue, I32 = int.MinValue, U32 = uint.MaxValue, I64 = long.MaxValue, U64 = ulong.MaxValue, F = 1.5f, D = 0.1 + 0.2, M = 79228162514264337593543950335m, C = 'ß', S = \"x\" }", "new S02()"]),
        ("S03", "public sealed record S03(System.Guid Id, System.DateTimeOffset At, System.DateTime When, System.TimeSpan Took, System.DateOnly Day, System.TimeOnly Time);",
            ["new S03(new System.Guid(\"0f8fad5b-d9cb-469f-a165-70867728950e\"), new System.DateTimeOffset(2026, 2, 15, 10, 30, 0, System.TimeSpan.FromHours(2)), new System.DateTime(2026, 1, 2, 3, 4, 5, System.DateTimeKind.Utc), System.TimeSpan.FromMilliseconds(1234.5), new System.DateOnly(2026, 2, 15), new System.TimeOnly(23, 59, 58))"]),
        ("S04", "public enum Color { Red, Green, Blue = 10 } public sealed record S04(Color Color, Color Other);", ["new S04(Color.Blue, (Color)3)"]),
        ("S05", "public sealed record S05(int? A, System.Guid? G, Color? C, decimal? M);", ["new S05(null, null, null, null)", "new S05(7, System.Guid.Empty, Color.Green, 1.10m)"]),
        ("S06", "public sealed class S06 { public string? Maybe { get; set; } public string Always { get; set; } = \"a\"; }", ["new S06()", "new S06 { Maybe = \"m\" }"]),
        ("S07", "public sealed record S07(List<string> Items);", ["new S07(new List<string> { \"a\", \"b\" })", "new S07(new List<string>())", "new S07(null!)"]),
        ("S08", "public sealed record S08(string[] Items, int[] Numbers);", ["new S08(new[] { \"x\", \"y\" }, new[] { 1, 2, 3 })"]),
        ("S09", "public sealed record S09(Dictionary<string, int> Counts);", ["new S09(new Dictionary<string, int> { [\"b\"] = 2, [\"a\"] = 1 })"]),
        ("S10", "public sealed record Leaf(string Name, double Weight); public sealed record S10(Dictionary<string, Leaf> Leaves);", ["new S10(new Dictionary<string, Leaf> { [\"l\"] = new Leaf(\"n\", 2.5) })"]),
        ("S11", "public sealed record S11(Leaf Inner, Leaf? Missing);", ["new S11(new Leaf(\"in\", 1), null)"]),
        ("S12", "public static class Outer { public sealed class S12 { public int Value { get; set; } public Outer.Inner? Child { get; set; } } public sealed class Inner { public string Tag { get; set; } = \"t\"; } }", ["new Outer.S12 { Value = 3, Child = new Outer.Inner() }"]),
        ("S13", "public sealed class S13 { [JsonPropertyName(\"full_name\")] public string Name { get; set; } = \"n\"; [JsonPropertyName(\"ünï\")] public int Odd { get; set; } }", ["new S13 { Odd = 5 }"]),
        ("S14", "public sealed class S14 { public int Kept { get; set; } [JsonIgnore] public int Dropped { get; set; } [JsonIgnore] public Leaf? DroppedLeaf { get; set; } }", ["new S14 { Kept = 1, Dropped = 2 }"]),
        ("S15", "public sealed class S15 { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Note { get; set; } public int X { get; set; } }", ["new S15()", "new S15 { Note = \"n\" }"]),
        ("S16", "public sealed class S16 { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Zero { get; set; } [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Never { get; set; } }", ["new S16()", "new S16 { Zero = 4 }"]),
        ("S17", "public sealed class S17 { [JsonRequired] public int Must { get; set; } public int May { get; set; } }", ["new S17 { Must = 1 }"]),
        ("S18", "public sealed class S18 { public required string Id { get; set; } public int Count { get; set; } }", ["new S18 { Id = \"id\", Count = 2 }"]),
        ("S19", "public sealed class S19 { public string Name { get; init; } = \"\"; public int Size { get; init; } }", ["new S19 { Name = \"init\", Size = 9 }"]),
        ("S20", "public sealed class S20 { public int A { get; set; } public int Twice => A * 2; }", ["new S20 { A = 21 }"]),
        ("S21", "public sealed record S21(IReadOnlyList<int> Numbers, IEnumerable<string> Words, IReadOnlyCollection<long> Longs);", ["new S21(new[] { 1, 2 }, new List<string> { \"w\" }, new List<long> { 5 })"]),
        ("S22", "public sealed record S22(IReadOnlyDictionary<string, string> Map, IDictionary<string, bool> Flags);", ["new S22(new Dictionary<string, string> { [\"k\"] = \"v\" }, new Dictionary<string, bool> { [\"f\"] = true })"]),
        ("S23", "public sealed record S23(List<Leaf> Leaves);", ["new S23(new List<Leaf> { new(\"a\", 1), new(\"b\", 2) })"]),
        ("S24", "public sealed record S24(Leaf[] Leaves, Leaf?[] WithNulls);", ["new S24(new[] { new Leaf(\"a\", 0) }, new Leaf?[] { null, new Leaf(\"z\", -0.5) })"]),
        ("S25", "public sealed record S25(string Name, int Retries = 3, string? Note = null, bool Flag = true);", ["new S25(\"x\")", "new S25(\"y\", 1, \"n\", false)"]),
        ("S26", "public sealed class S26 { public S26(string name, int age) { Name = name; Age = age; } public string Name { get; } public int Age { get; } public string? Extra { get; set; } }", ["new S26(\"p\", 30) { Extra = \"e\" }"]),
        ("S27", "public sealed class S27 { public string Label { get; set; } = \"\"; public List<S27> Children { get; set; } = new(); }", ["new S27 { Label = \"root\", Children = { new S27 { Label = \"child\" } } }"]),
        ("S28", "public sealed record S28(decimal Price, decimal Tiny, double Big, float Small);", ["new S28(19.990m, 0.0000000001m, 1.7976931348623157E+308, 1e-7f)"]),
        ("S29", "public sealed record S29(string Text);", ["new S29(\"quote \\\" backslash \\\\ <tag> & 'apos' \\u00e9\\u4e2d\\ud83d\\ude00 \\n\\t\\u0001\")"]),
        ("S30", "public sealed record S30(List<List<int>> Grid, Dictionary<string, List<string>> Groups);", ["new S30(new List<List<int>> { new() { 1, 2 }, new() }, new Dictionary<string, List<string>> { [\"g\"] = new() { \"a\" } })"]),
        ("S31", "[System.Flags] public enum Perm { None = 0, Read = 1, Write = 2 } public sealed record S31(Perm Perm);", ["new S31(Perm.Read | Perm.Write)"]),
        ("S32", "public sealed class S32 { }", ["new S32()"]),
        ("S33", "public sealed record S33(long Id, ulong Big, short Small) { public string Computed => Id.ToString(System.Globalization.CultureInfo.InvariantCulture); public int Mutable { get; set; } }", ["new S33(long.MinValue, ulong.MaxValue, -1) { Mutable = 8 }"]),
        ("S34", "public sealed class S34 { public System.Uri? Link { get; set; } public System.Version? Version { get; set; } public System.DateTime? Maybe { get; set; } }", ["new S34 { Link = new System.Uri(\"https://example.com/a?b=c\"), Version = new System.Version(1, 2, 3) }"]),
        ("S35", "public class BaseShape { public int BaseId { get; set; } public string? BaseNote { get; set; } } public sealed class S35 : BaseShape { public string Own { get; set; } = \"o\"; }", ["new S35 { BaseId = 1, BaseNote = \"b\", Own = \"x\" }"]),
        ("S36", "public abstract record Animal(string Name); public sealed record S36(string Name, int Legs) : Animal(Name);", ["new S36(\"cat\", 4)"]),
        ("S37", "public struct S37 { public int X { get; set; } public string? Y { get; set; } }", ["new S37 { X = 5, Y = \"y\" }", "default(S37)"]),
        ("S38", "public readonly record struct S38(int A, string B);", ["new S38(1, \"b\")"]),
        ("S39", "public sealed class S39 { public IList<int> L { get; set; } = new List<int> { 1 }; public ICollection<string> C { get; set; } = new List<string> { \"c\" }; public HashSet<string> H { get; set; } = new() { \"h\" }; public ISet<int> S { get; set; } = new HashSet<int> { 2 }; }", ["new S39()"]),
        ("S40", "public sealed record S40(S37 Point, S37? MaybePoint, List<S38> Pairs);", ["new S40(new S37 { X = 1 }, null, new List<S38> { new(2, \"p\") })"]),
    ];

    private static string CorpusSource()
    {
        var builder = new StringBuilder("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using System.Threading.Tasks;
            using Tem;

            namespace Diff;

            """);
        foreach (var (_, declaration, _) in Shapes)
        {
            builder.AppendLine(declaration);
        }

        foreach (var (name, _, _) in Shapes)
        {
            builder.AppendLine($"[JsonSerializable(typeof({TypeOf(name)}))]");
        }

        builder.AppendLine("internal partial class StjContext : JsonSerializerContext { }");
        builder.AppendLine("public static class Handlers {");
        foreach (var (name, _, _) in Shapes)
        {
            builder.AppendLine($"    [TemHandler(\"{name.ToLowerInvariant()}\")] public static Task<{TypeOf(name)}> H{name}({TypeOf(name)} payload) => Task.FromResult(payload);");
        }

        builder.AppendLine("}");
        builder.AppendLine("public static class Samples { public static object[] All() => new object[] {");
        foreach (var (_, _, samples) in Shapes)
        {
            foreach (var sample in samples)
            {
                builder.AppendLine($"    {sample},");
            }
        }

        builder.AppendLine("}; }");
        return builder.ToString();
    }

    private static string TypeOf(string name) => name == "S12" ? "Outer.S12" : name;

    [Fact]
    public void Corpus_HasAtLeastThirtyShapes() => Assert.True(Shapes.Length >= 30, $"only {Shapes.Length} shapes");

    [Fact]
    public void TemMetadata_SerializesLikeSystemTextJsonSourceGenerator_AndRoundTrips()
    {
        var result = GeneratorHarness.Run(CorpusSource(), "Diff.App");
        Assert.Empty(GeneratorHarness.TemDiagnostics(result));
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("TemJsonContext.g.cs", result.Sources.Keys);

        var assembly = result.Load();
        var tem = (JsonSerializerContext)assembly.GetType("Diff.App.TemJsonContext", throwOnError: true)!.GetProperty("Default")!.GetValue(null)!;
        var stj = (JsonSerializerContext)assembly.GetType("Diff.StjContext", throwOnError: true)!.GetProperty("Default")!.GetValue(null)!;
        var samples = (object[])assembly.GetType("Diff.Samples", throwOnError: true)!.GetMethod("All")!.Invoke(null, null)!;
        Assert.Equal(Shapes.Sum(s => s.Samples.Length), samples.Length);

        var failures = new List<string>();
        foreach (var sample in samples)
        {
            var type = sample.GetType();
            var temInfo = tem.GetTypeInfo(type) ?? throw new InvalidOperationException($"Tem has no metadata for {type}");
            var stjInfo = stj.GetTypeInfo(type)!;
            var expected = JsonSerializer.SerializeToUtf8Bytes(sample, stjInfo);
            var actual = JsonSerializer.SerializeToUtf8Bytes(sample, temInfo);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                failures.Add($"{type.Name}: expected {Encoding.UTF8.GetString(expected)} but Tem wrote {Encoding.UTF8.GetString(actual)}");
                continue;
            }

            var back = JsonSerializer.Deserialize(actual, temInfo);
            var again = JsonSerializer.SerializeToUtf8Bytes(back, temInfo);
            var viaStj = JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize(expected, stjInfo), stjInfo);
            if (!again.AsSpan().SequenceEqual(viaStj))
            {
                failures.Add($"{type.Name}: round trip wrote {Encoding.UTF8.GetString(again)}, System.Text.Json {Encoding.UTF8.GetString(viaStj)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void TemMetadata_RequiredPropertiesAreEnforcedLikeSystemTextJson()
    {
        var assembly = GeneratorHarness.Run(CorpusSource(), "Diff.App").Load();
        var tem = (JsonSerializerContext)assembly.GetType("Diff.App.TemJsonContext", throwOnError: true)!.GetProperty("Default")!.GetValue(null)!;
        var stj = (JsonSerializerContext)assembly.GetType("Diff.StjContext", throwOnError: true)!.GetProperty("Default")!.GetValue(null)!;

        foreach (var name in new[] { "Diff.S17", "Diff.S18" })
        {
            var type = assembly.GetType(name, throwOnError: true)!;
            var temError = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{}", tem.GetTypeInfo(type)!));
            var stjError = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{}", stj.GetTypeInfo(type)!));
            Assert.Equal(stjError.Message, temError.Message);
        }
    }

    [Fact]
    public void Descriptors_UseTemMetadata_WhenNoContextIsNamed()
    {
        var result = GeneratorHarness.Run(CorpusSource(), "Diff.App");
        var tasks = result.Sources["TemTasks.g.cs"];
        Assert.Contains("global::Diff.App.TemJsonContext.Default.S01,", tasks, StringComparison.Ordinal);
        Assert.Contains("global::Diff.App.TemJsonContext.Default.S12,", tasks, StringComparison.Ordinal);

        var assembly = result.Load();
        var descriptor = assembly.GetType("Diff.App.TemTasks", throwOnError: true)!.GetProperty("S01")!.GetValue(null)!;
        var info = (JsonTypeInfo)descriptor.GetType().GetProperty("PayloadTypeInfo")!.GetValue(descriptor)!;
        Assert.Equal("Diff.App.TemJsonContext", info.OriginatingResolver?.GetType().FullName);
        GeneratorHarness.AssertIncremental(result);
    }
}
