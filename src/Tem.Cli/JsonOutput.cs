using System.Text.Json;

namespace Tem.Cli;

/// <summary>Writes the --json forms by hand with Utf8JsonWriter: no reflection, so the tool stays AOT-clean.</summary>
internal static class JsonOutput
{
    public static void Write(Action<Utf8JsonWriter> write)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        stdout.Write("\n"u8);
    }

    public static void WriteBatch(Utf8JsonWriter w, Batch batch, BatchStats stats)
    {
        w.WriteStartObject();
        w.WriteNumber("id", batch.Id);
        w.WriteString("code", batch.Code);
        w.WriteString("type", batch.Type);
        w.WriteString("status", batch.Status.ToString().ToLowerInvariant());
        w.WriteString("createdAt", batch.CreatedAt);
        if (batch.CompletedAt is { } done)
        {
            w.WriteString("completedAt", done);
        }

        w.WritePropertyName("stats");
        WriteStats(w, stats);
        w.WriteEndObject();
    }

    public static void WriteStats(Utf8JsonWriter w, BatchStats stats)
    {
        w.WriteStartObject();
        w.WriteNumber("pending", stats.Pending);
        w.WriteNumber("running", stats.Running);
        w.WriteNumber("completed", stats.Completed);
        w.WriteNumber("failed", stats.Failed);
        w.WriteNumber("cancelled", stats.Cancelled);
        w.WriteNumber("total", stats.Total);
        w.WriteEndObject();
    }

    public static void WriteTask(Utf8JsonWriter w, TemTask task, bool withPayload, IReadOnlyList<SpendLine>? usage = null)
    {
        w.WriteStartObject();
        w.WriteNumber("id", task.Id);
        w.WriteNumber("batchId", task.BatchId);
        w.WriteString("type", task.Type);
        w.WriteString("status", task.Status.ToString().ToLowerInvariant());
        w.WriteNumber("attempt", task.Attempt);
        w.WriteNumber("maxAttempts", task.MaxAttempts);
        w.WriteNumber("priority", task.Priority);
        w.WriteString("createdAt", task.CreatedAt);
        w.WriteString("runAfter", task.RunAfter);
        if (task.ClaimedAt is { } claimed)
        {
            w.WriteString("claimedAt", claimed);
        }

        if (task.CompletedAt is { } completed)
        {
            w.WriteString("completedAt", completed);
        }

        if (task.IdempotencyKey is { } key)
        {
            w.WriteString("idempotencyKey", key);
        }

        if (task.Error is { } error)
        {
            w.WriteString("error", error);
        }

        if (withPayload)
        {
            WriteRaw(w, "payload", task.PayloadJson);
            if (task.ResultJson is { } result)
            {
                WriteRaw(w, "result", result);
            }
        }

        if (usage is { Count: > 0 })
        {
            SpendOutput.WriteLines(w, "usage", usage);
        }

        w.WriteEndObject();
    }

    /// <summary>Stored JSON goes out as JSON; a row edited into something that does not parse goes out as a string.</summary>
    public static void WriteRaw(Utf8JsonWriter w, string name, string json)
    {
        w.WritePropertyName(name);
        if (IsValid(json))
        {
            w.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            w.WriteStringValue(json);
        }
    }

    private static bool IsValid(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
