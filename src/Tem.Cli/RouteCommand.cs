using System.CommandLine;

namespace Tem.Cli;

/// <summary><c>tem route DB CODE [live|batch|auto]</c>: shows a batch's LLM route and its provider batches, or moves it to another route.</summary>
internal static class RouteCommand
{
    public static Command Create(Argument<string> database, Argument<string> code)
    {
        var route = new Argument<string?>("route") { Description = "live, batch or auto; leave out to show the route and the provider batches.", Arity = ArgumentArity.ZeroOrOne };
        route.AcceptOnlyFromAmong("live", "batch", "auto");
        var command = new Command("route", "Show a batch's LLM route and provider batches, or move it: live, batch (the provider's batch API) or auto.") { database, code, route };
        command.SetAction(async (parse, ct) =>
        {
            var wanted = parse.GetValue(route);
            await using var tem = CliDatabase.Open(parse.GetValue(database)!, write: wanted is not null);
            var batch = await CliDatabase.BatchByCodeAsync(tem, parse.GetValue(database)!, parse.GetValue(code)!);
            if (wanted is not null)
            {
                await tem.Batches.SetRouteAsync(batch.Id, wanted switch { "batch" => LlmRoute.ProviderBatch, "auto" => LlmRoute.Auto, _ => LlmRoute.Live }, ct);
                Console.WriteLine($"{batch.Code}: route {wanted}; tasks already in a provider batch finish there.");
                return 0;
            }

            var current = await tem.Batches.GetRouteAsync(batch.Id, ct);
            var providerBatches = await tem.Batches.ListProviderBatchesAsync(batch.Id, ct);
            Console.WriteLine($"{batch.Code}: route {(current switch { LlmRoute.ProviderBatch => "batch", LlmRoute.Auto => "auto", _ => "live" })}, provider batches {providerBatches.Count}");
            if (providerBatches.Count > 0)
            {
                var table = new TextTable("PROVIDER", "MODEL", "STATE", "PROVIDER BATCH", "STATUS", "LINES", "CREATED", "AGE");
                foreach (var p in providerBatches)
                {
                    table.Add(p.Provider, p.Model, p.State, p.ProviderBatchId ?? "-", p.ProviderStatus ?? "-", p.Lines, p.CreatedAt, (p.EndedAt ?? DateTimeOffset.UtcNow) - p.CreatedAt);
                }

                table.WriteTo(Console.Out);
            }

            return 0;
        });
        return command;
    }
}
