using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tem.ProviderSimulator.Batches;

/// <summary>
/// Anthropic's Message Batches on loopback: <c>POST /v1/messages/batches</c> (<c>requests: [{custom_id, params}]</c>),
/// <c>GET /v1/messages/batches/{id}</c>, <c>GET /v1/messages/batches?limit=&amp;after_id=&amp;before_id=</c>,
/// <c>POST …/{id}/cancel</c>, <c>GET …/{id}/results</c> (JSONL, <c>result.type</c> succeeded / errored / canceled /
/// expired, in finishing order). <c>processing_status</c> in_progress → canceling → ended.
/// </summary>
internal sealed partial class AnthropicBatchApi
{
    private readonly BatchSimulatorOptions _options;
    private readonly BatchApiCounters _counters;
    private readonly Random _random;
    private readonly object _lock = new();
    private readonly List<AnthropicBatch> _batches = [];
    private int _nextId;

    public AnthropicBatchApi(WebApplication app, BatchSimulatorOptions options, BatchApiCounters counters)
    {
        _options = options;
        _counters = counters;
        _random = new Random(options.Seed + 1);
        app.MapPost("/v1/messages/batches", (Delegate)CreateAsync);
        app.MapGet("/v1/messages/batches/{id}", (string id, HttpContext http) => WithBatch(id, b => Json(BatchObject(b, http))));
        app.MapGet("/v1/messages/batches", List);
        app.MapPost("/v1/messages/batches/{id}/cancel", Cancel);
        app.MapGet("/v1/messages/batches/{id}/results", Results_);
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex CustomIdPattern();

    private DateTimeOffset Now => _options.Clock.GetUtcNow();

    private async Task<IResult> CreateAsync(HttpContext http)
    {
        OpenAiBatchApi.Unbounded(http);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > _options.AnthropicMaxBytes)
            {
                return Refuse(Error(413, "request_too_large", $"The request exceeds the maximum of {_options.AnthropicMaxBytes} bytes for a message batch."));
            }
        }

        JsonArray? requests;
        try
        {
            requests = JsonNode.Parse(buffer.ToArray())?["requests"] as JsonArray;
        }
        catch (JsonException e)
        {
            return Refuse(Error(400, "invalid_request_error", "The body is not JSON: " + e.Message));
        }

        if (requests is null || requests.Count == 0)
        {
            return Refuse(Error(400, "invalid_request_error", "requests: a non-empty array of {custom_id, params} is required."));
        }

        if (requests.Count > _options.AnthropicMaxRequests)
        {
            return Refuse(Error(400, "invalid_request_error", $"requests: {requests.Count} given, at most {_options.AnthropicMaxRequests} are allowed in one batch."));
        }

        var lines = new List<SimulatedLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        AnthropicBatch batch;
        lock (_lock)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                var customId = (string?)requests[i]?["custom_id"];
                if (customId is null || !CustomIdPattern().IsMatch(customId))
                {
                    return Refuse(Error(400, "invalid_request_error", $"requests.{i}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$."));
                }

                if (!seen.Add(customId))
                {
                    return Refuse(Error(400, "invalid_request_error", $"requests.{i}.custom_id: '{customId}' is used more than once; custom_id must be unique within the batch."));
                }

                var parameters = requests[i]?["params"] as JsonObject;
                var line = new SimulatedLine(customId, parameters, false);
                lines.Add(line with { Fails = line.Model is null || _random.NextDouble() < _options.LineErrorRate });
            }

            var order = lines.ToArray();
            _random.Shuffle(order);
            batch = new AnthropicBatch(string.Create(CultureInfo.InvariantCulture, $"msgbatch_{++_nextId:D8}"),
                new BatchTimeline(Now, TimeSpan.Zero, order.Length, _options), order);
            _batches.Add(batch);
        }

        _counters.BatchCreated(lines.Select(l => l.CustomId));
        return Json(BatchObject(batch, http));
    }

    private IResult Cancel(string id, HttpContext http) => WithBatch(id, batch =>
    {
        bool cancelled;
        lock (_lock)
        {
            cancelled = batch.Timeline.TryCancel(Now);
        }

        if (!cancelled)
        {
            return Error(400, "invalid_request_error", $"Message batch {id} has ended and can no longer be canceled.");
        }

        _counters.Cancelled();
        return Json(BatchObject(batch, http));
    });

    private IResult List(int? limit, string? after_id, string? before_id, HttpContext http)
    {
        var take = Math.Clamp(limit ?? 20, 1, 1000);
        lock (_lock)
        {
            var newestFirst = Enumerable.Reverse(_batches).ToList();
            List<AnthropicBatch> page;
            bool hasMore;
            if (before_id is not null)
            {
                var end = Math.Max(0, newestFirst.FindIndex(b => b.Id == before_id));
                var start = Math.Max(0, end - take);
                page = newestFirst.GetRange(start, end - start);
                hasMore = start > 0;
            }
            else
            {
                var start = after_id is null ? 0 : newestFirst.FindIndex(b => b.Id == after_id) + 1;
                page = newestFirst.Skip(start).Take(take).ToList();
                hasMore = start + page.Count < newestFirst.Count;
            }

            return Json(new JsonObject
            {
                ["data"] = new JsonArray(page.Select(b => (JsonNode)BatchObject(b, http)).ToArray()),
                ["has_more"] = hasMore,
                ["first_id"] = page.FirstOrDefault()?.Id,
                ["last_id"] = page.LastOrDefault()?.Id,
            });
        }
    }

    private IResult Results_(string id) => WithBatch(id, batch =>
    {
        BatchPhase phase;
        int done;
        lock (_lock)
        {
            phase = batch.Timeline.PhaseAt(Now, out done, out _);
        }

        if (phase is not (BatchPhase.Completed or BatchPhase.Expired or BatchPhase.Cancelled))
        {
            return Error(400, "invalid_request_error", $"Message batch {id} is still processing; results are available once processing_status is 'ended'.");
        }

        var text = new StringBuilder();
        for (var i = 0; i < batch.Lines.Count; i++)
        {
            var line = batch.Lines[i];
            JsonObject result = i >= done
                ? new JsonObject { ["type"] = phase == BatchPhase.Expired ? "expired" : "canceled" }
                : line.Fails
                    ? new JsonObject
                    {
                        ["type"] = "errored",
                        ["error"] = new JsonObject
                        {
                            ["type"] = "error",
                            ["error"] = line.Model is null
                                ? new JsonObject { ["type"] = "invalid_request_error", ["message"] = "params.model: Field required" }
                                : new JsonObject { ["type"] = "api_error", ["message"] = "Internal server error" },
                        },
                    }
                    : new JsonObject { ["type"] = "succeeded", ["message"] = SimulatedAnswers.Message(line, string.Create(CultureInfo.InvariantCulture, $"{batch.Id}_{i}")) };
            text.Append(new JsonObject { ["custom_id"] = line.CustomId, ["result"] = result }.ToJsonString()).Append('\n');
        }

        return Results.Text(text.ToString(), "application/x-jsonl");
    });

    private JsonObject BatchObject(AnthropicBatch batch, HttpContext http)
    {
        lock (_lock)
        {
            var phase = batch.Timeline.PhaseAt(Now, out var done, out var since);
            var ended = phase is BatchPhase.Completed or BatchPhase.Expired or BatchPhase.Cancelled;
            var errored = batch.Lines.Take(done).Count(l => l.Fails);
            var rest = batch.Lines.Count - done;
            static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
            var address = $"{http.Request.Scheme}://{http.Request.Host}/v1/messages/batches/{batch.Id}/results";
            return new JsonObject
            {
                ["id"] = batch.Id,
                ["type"] = "message_batch",
                ["processing_status"] = ended ? "ended" : phase == BatchPhase.Cancelling ? "canceling" : "in_progress",
                ["request_counts"] = new JsonObject
                {
                    ["processing"] = ended ? 0 : rest,
                    ["succeeded"] = done - errored,
                    ["errored"] = errored,
                    ["canceled"] = ended && phase == BatchPhase.Cancelled ? rest : 0,
                    ["expired"] = ended && phase == BatchPhase.Expired ? rest : 0,
                },
                ["ended_at"] = ended ? Time(since) : null,
                ["created_at"] = Time(batch.Timeline.CreatedAt),
                ["expires_at"] = Time(batch.Timeline.ExpiresAt),
                ["cancel_initiated_at"] = batch.Timeline.CancelAskedAt is { } c ? Time(c) : null,
                ["archived_at"] = null,
                ["results_url"] = ended ? address : null,
            };
        }
    }

    private IResult WithBatch(string id, Func<AnthropicBatch, IResult> answer)
    {
        AnthropicBatch? batch;
        lock (_lock)
        {
            batch = _batches.Find(b => b.Id == id);
        }

        return batch is null ? Error(404, "not_found_error", $"No message batch with id '{id}'.") : answer(batch);
    }

    private IResult Refuse(IResult result)
    {
        _counters.Refused();
        return result;
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    private static IResult Error(int status, string type, string message) => Results.Text(
        new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }.ToJsonString(),
        "application/json", statusCode: status);
}
