using System.Text.Json;
using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>The live stream: a snapshot at once, and a new one when the database changes.</summary>
public sealed class EventStreamTests
{
    [Fact]
    public async Task The_batch_stream_sends_a_snapshot_and_then_the_counts_as_they_move()
    {
        await using var host = await DashboardHost.StartAsync();
        var batch = await host.SeedAsync("live", 5);
        using var http = host.Client();
        using var response = await http.GetAsync($"tem/events/batches/{batch.Id}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var first = await NextSnapshotAsync(reader, timeout.Token);
        Assert.Equal(5, first.GetProperty("batch").GetProperty("counts").GetProperty("pending").GetInt64());

        await host.Engine.Worker.StartAsync();
        while (true)
        {
            var next = await NextSnapshotAsync(reader, timeout.Token);
            if (next.GetProperty("batch").GetProperty("counts").GetProperty("completed").GetInt64() == 5)
            {
                Assert.Equal("completed", next.GetProperty("batch").GetProperty("status").GetString());
                break;
            }
        }
    }

    [Fact]
    public async Task The_overview_stream_shows_a_new_batch()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = host.Client();
        using var response = await http.GetAsync("tem/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(0, (await NextSnapshotAsync(reader, timeout.Token)).GetProperty("batches").GetArrayLength());
        await host.SeedAsync("arrives", 3);
        while (true)
        {
            var batches = (await NextSnapshotAsync(reader, timeout.Token)).GetProperty("batches");
            // The batch row is written before its tasks: wait for the snapshot that has both.
            if (batches.GetArrayLength() > 0 && batches[0].GetProperty("counts").GetProperty("pending").GetInt64() == 3)
            {
                Assert.Equal("arrives", batches[0].GetProperty("code").GetString());
                break;
            }
        }
    }

    private static async Task<JsonElement> NextSnapshotAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var isSnapshot = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line == "event: snapshot")
            {
                isSnapshot = true;
            }
            else if (isSnapshot && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line[6..]).RootElement.Clone();
            }
        }

        throw new EndOfStreamException("The event stream ended.");
    }
}
