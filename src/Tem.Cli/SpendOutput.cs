using System.Globalization;
using System.Text.Json;
using Tem;

namespace Tem.Cli;

/// <summary>Tokens and cost (issue 25) as <c>tem report</c> and <c>tem show</c> print them, in text and JSON.</summary>
internal static class SpendOutput
{
    /// <summary>The batch's spend as the <c>spend</c> property of a report: totals, budget, and a line per task type and model.</summary>
    public static void WriteJson(Utf8JsonWriter w, BatchSpend spend)
    {
        w.WriteStartObject("spend");
        w.WriteNumber("tokens", spend.Tokens);
        w.WriteNumber("costUsd", spend.Cost);
        if (spend.UnpricedCalls > 0) w.WriteNumber("unpricedCalls", spend.UnpricedCalls);
        if (spend.MaxTokens is { } maxTokens) w.WriteNumber("maxTokens", maxTokens);
        if (spend.MaxCost is { } maxCost) w.WriteNumber("maxCostUsd", maxCost);
        if (spend.ReservedTokens > 0) w.WriteNumber("reservedTokens", spend.ReservedTokens);
        if (spend.ReservedCost > 0) w.WriteNumber("reservedCostUsd", spend.ReservedCost);
        WriteLines(w, "byTypeAndModel", spend.Lines);
        w.WriteEndObject();
    }

    /// <summary>Usage lines (per type and model) as an array property.</summary>
    public static void WriteLines(Utf8JsonWriter w, string name, IReadOnlyList<SpendLine> lines)
    {
        w.WriteStartArray(name);
        foreach (var line in lines)
        {
            w.WriteStartObject();
            w.WriteString("type", line.TaskType);
            w.WriteString("model", line.Model);
            w.WriteNumber("calls", line.Calls);
            w.WriteNumber("inputTokens", line.InputTokens);
            w.WriteNumber("cachedInputTokens", line.CachedInputTokens);
            w.WriteNumber("outputTokens", line.OutputTokens);
            w.WriteNumber("costUsd", line.Cost);
            if (line.UnpricedCalls > 0) w.WriteNumber("unpricedCalls", line.UnpricedCalls);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>The report's spend lines; nothing for a batch that made no provider call and has no budget.</summary>
    public static void WriteText(TextWriter o, BatchSpend spend)
    {
        if (spend.Lines.Count == 0 && spend.MaxTokens is null && spend.MaxCost is null)
        {
            return;
        }

        var budget = string.Join(", ", new[]
        {
            spend.MaxCost is { } maxCost ? $"${Usd(spend.Cost)} of ${Usd(maxCost)}" : null,
            spend.MaxTokens is { } maxTokens ? $"{spend.Tokens} of {maxTokens} tokens" : null,
        }.Where(p => p is not null));
        o.WriteLine($"Spend: {spend.Tokens} tokens, ${Usd(spend.Cost)}" + (budget.Length > 0 ? $" (budget: {budget})" : "")
            + (spend.UnpricedCalls > 0 ? $"; {spend.UnpricedCalls} calls to models without a price (TemOptions.Prices) are not costed" : ""));
        foreach (var line in spend.Lines)
        {
            o.WriteLine($"  {line.TaskType} on {line.Model}: {Describe(line)}");
        }
    }

    /// <summary>One task's usage per model, for <c>tem show</c>.</summary>
    public static void WriteTaskText(TextWriter o, IReadOnlyList<SpendLine> lines)
    {
        foreach (var line in lines)
        {
            o.WriteLine($"Usage on {line.Model}: {Describe(line)}");
        }
    }

    private static string Describe(SpendLine line)
        => $"{line.Calls} calls, {line.InputTokens} input ({line.CachedInputTokens} cached) + {line.OutputTokens} output tokens, ${Usd(line.Cost)}"
            + (line.UnpricedCalls > 0 ? $" ({line.UnpricedCalls} without a price)" : "");

    private static string Usd(decimal usd) => usd.ToString("0.00#######", CultureInfo.InvariantCulture);
}
