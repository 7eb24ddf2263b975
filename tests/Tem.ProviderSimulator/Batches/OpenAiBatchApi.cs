using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tem.ProviderSimulator.Batches;

/// <summary>
/// OpenAI's Batch API on loopback: <c>POST /v1/files</c> (multipart, purpose=batch), <c>GET /v1/files/{id}</c> and
/// <c>/content</c>, <c>POST /v1/batches</c>, <c>GET /v1/batches/{id}</c>, <c>GET /v1/batches?after=&amp;limit=</c>,
/// <c>POST /v1/batches/{id}/cancel</c>. Statuses validating → in_progress → finalizing → completed, or failed
/// (validation), expired (the window passed), cancelling → cancelled. Output and error files list lines in the order
/// they finished, not the input order.
/// </summary>
internal sealed class OpenAiBatchApi
{
    private static readonly string[] Endpoints = ["/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions"];
    private readonly BatchSimulatorOptions _options;
    private readonly BatchApiCounters _counters;
    private readonly Random _random;
    private readonly object _lock = new();
    private readonly Dictionary<string, SimulatedFile> _files = new(StringComparer.Ordinal);
    private readonly List<OpenAiBatch> _batches = [];
    private int _nextId;

    public OpenAiBatchApi(WebApplication app, BatchSimulatorOptions options, BatchApiCounters counters)
    {
        _options = options;
        _counters = counters;
        _random = new Random(options.Seed);
        app.MapPost("/v1/files", (Delegate)UploadAsync);
        app.MapGet("/v1/files/{id}", (string id) => WithFile(id, f => Results.Text(FileObject(f).ToJsonString(), "application/json")));
        app.MapGet("/v1/files/{id}/content", (string id) => WithFile(id, f => Results.Bytes(f.Content, "application/octet-stream")));
        app.MapPost("/v1/batches", (Delegate)CreateAsync);
        app.MapGet("/v1/batches/{id}", (string id) => WithBatch(id, b => Json(BatchObject(b))));
        app.MapGet("/v1/batches", List);
        app.MapPost("/v1/batches/{id}/cancel", Cancel);
    }

    private DateTimeOffset Now => _options.Clock.GetUtcNow();

    private string NewId(string prefix) => string.Create(CultureInfo.InvariantCulture, $"{prefix}{Interlocked.Increment(ref _nextId):D8}");

    private async Task<IResult> UploadAsync(HttpContext http)
    {
        Unbounded(http);
        var form = await http.Request.ReadFormAsync();
        if (form.Files["file"] is not { } upload)
        {
            return Error(400, "invalid_request_error", "A multipart field 'file' is required.", "file");
        }

        var purpose = form["purpose"].ToString();
        if (purpose != "batch")
        {
            return Error(400, "invalid_request_error", $"This simulator accepts only purpose 'batch', not '{purpose}'.", "purpose");
        }

        using var buffer = new MemoryStream();
        await upload.CopyToAsync(buffer);
        var file = new SimulatedFile(NewId("file-"), upload.FileName, purpose, buffer.ToArray(), Now.ToUnixTimeSeconds());
        lock (_lock)
        {
            _files[file.Id] = file;
        }

        _counters.FileUploaded();
        return Json(FileObject(file));
    }

    private async Task<IResult> CreateAsync(HttpContext http)
    {
        JsonObject request;
        try
        {
            request = (await JsonNode.ParseAsync(http.Request.Body))?.AsObject() ?? throw new JsonException("empty body");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Refuse(Error(400, "invalid_request_error", "The body is not a JSON object: " + e.Message, null));
        }

        var fileId = (string?)request["input_file_id"];
        var endpoint = (string?)request["endpoint"];
        var window = (string?)request["completion_window"];
        var metadata = request["metadata"] as JsonObject;
        if (endpoint is null || !Endpoints.Contains(endpoint))
        {
            return Refuse(Error(400, "invalid_request_error", $"endpoint must be one of {string.Join(", ", Endpoints)}.", "endpoint"));
        }

        if (window != "24h")
        {
            return Refuse(Error(400, "invalid_request_error", "completion_window must be '24h'.", "completion_window"));
        }

        if (metadata is not null && (metadata.Count > 16 || metadata.Any(p => p.Key.Length > 64 || ((string?)p.Value)?.Length > 512)))
        {
            return Refuse(Error(400, "invalid_request_error", "metadata takes at most 16 pairs, keys up to 64 and values up to 512 characters.", "metadata"));
        }

        OpenAiBatch batch;
        lock (_lock)
        {
            if (fileId is null || !_files.TryGetValue(fileId, out var file) || file.Purpose != "batch")
            {
                return Refuse(Error(400, "invalid_request_error", $"No batch input file with id '{fileId}'.", "input_file_id"));
            }

            var (lines, errors) = Validate(file, endpoint);
            var order = lines.ToArray();
            _random.Shuffle(order);
            batch = new OpenAiBatch
            {
                Id = NewId("batch_"),
                InputFileId = file.Id,
                Endpoint = endpoint,
                CompletionWindow = window,
                Metadata = (JsonObject?)metadata?.DeepClone(),
                Timeline = new BatchTimeline(Now, _options.ValidatingFor, errors.Count == 0 ? order.Length : 0, _options) { FailsValidation = errors.Count > 0 },
                Lines = errors.Count == 0 ? order : [],
                ValidationErrors = errors,
            };
            _batches.Add(batch);
        }

        if (batch.ValidationErrors.Count == 0)
        {
            _counters.BatchCreated(batch.Lines.Select(l => l.CustomId));
        }
        else
        {
            _counters.Refused();
        }

        return Json(BatchObject(batch));
    }

    /// <summary>The documented input rules; what breaks them fails the batch at the end of validation, as OpenAI does.</summary>
    private (List<SimulatedLine> Lines, List<JsonObject> Errors) Validate(SimulatedFile file, string endpoint)
    {
        var lines = new List<SimulatedLine>();
        var errors = new List<JsonObject>();
        void Fail(string code, string message, int? line) => errors.Add(new JsonObject { ["code"] = code, ["message"] = message, ["param"] = null, ["line"] = line });

        if (file.Content.LongLength > _options.OpenAiMaxFileBytes)
        {
            Fail("file_too_large", $"The input file has {file.Content.LongLength} bytes; at most {_options.OpenAiMaxFileBytes} are allowed.", null);
            return (lines, errors);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? model = null;
        var number = 0;
        foreach (var text in Encoding.UTF8.GetString(file.Content).Split('\n'))
        {
            number++;
            if (text.Trim().Length == 0 || errors.Count >= 10)
            {
                continue;
            }

            JsonObject? line;
            try
            {
                line = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                line = null;
            }

            if (line is null || (string?)line["custom_id"] is not { Length: > 0 } customId || line["body"] is not JsonObject body)
            {
                Fail("invalid_json_line", "Each line must be a JSON object with custom_id, method, url and body.", number);
                continue;
            }

            if ((string?)line["url"] != endpoint || (string?)line["method"] != "POST")
            {
                Fail("mismatched_endpoint", $"The line's method and url must be POST {endpoint}, the batch's endpoint.", number);
            }

            if (!seen.Add(customId))
            {
                Fail("duplicate_custom_id", $"The custom_id '{customId}' appears more than once; each must be unique in the file.", number);
            }

            var simulated = new SimulatedLine(customId, body, _random.NextDouble() < _options.LineErrorRate);
            model ??= simulated.Model;
            if (simulated.Model is not null && simulated.Model != model)
            {
                Fail("mismatched_model", $"Line model '{simulated.Model}' differs from '{model}': a batch file may use one model only.", number);
            }

            lines.Add(simulated);
        }

        if (lines.Count > _options.OpenAiMaxRequestsPerFile)
        {
            Fail("too_many_requests", $"The input file has {lines.Count} requests; at most {_options.OpenAiMaxRequestsPerFile} are allowed.", null);
        }

        if (lines.Count == 0 && errors.Count == 0)
        {
            Fail("empty_file", "The input file has no requests.", null);
        }

        return (lines, errors);
    }

    private IResult Cancel(string id) => WithBatch(id, batch =>
    {
        bool cancelled;
        lock (_lock)
        {
            cancelled = batch.Timeline.TryCancel(Now);
        }

        if (!cancelled)
        {
            return Error(409, "invalid_request_error", $"Cannot cancel a batch with status '{Status(batch.Timeline.PhaseAt(Now, out _, out _))}'.", null);
        }

        _counters.Cancelled();
        return Json(BatchObject(batch));
    });

    private IResult List(int? limit, string? after)
    {
        var take = Math.Clamp(limit ?? 20, 1, 100);
        lock (_lock)
        {
            var newestFirst = Enumerable.Reverse(_batches).ToList();
            var start = after is null ? 0 : newestFirst.FindIndex(b => b.Id == after) + 1;
            var page = newestFirst.Skip(start).Take(take).ToList();
            var data = new JsonArray(page.Select(b => (JsonNode)BatchObject(b)).ToArray());
            return Json(new JsonObject
            {
                ["object"] = "list",
                ["data"] = data,
                ["first_id"] = page.FirstOrDefault()?.Id,
                ["last_id"] = page.LastOrDefault()?.Id,
                ["has_more"] = start + page.Count < newestFirst.Count,
            });
        }
    }

    private JsonObject BatchObject(OpenAiBatch batch)
    {
        lock (_lock)
        {
            var now = Now;
            var phase = batch.Timeline.PhaseAt(now, out var done, out var since);
            if (phase is BatchPhase.Completed or BatchPhase.Expired or BatchPhase.Cancelled && !batch.Materialized)
            {
                WriteResultFiles(batch, done, phase);
            }

            var succeeded = batch.Lines.Take(done).Count(l => !l.Fails);
            var failed = done - succeeded + (batch.Materialized ? batch.Lines.Count - done : 0);
            long? At(bool reached, DateTimeOffset at) => reached ? at.ToUnixTimeSeconds() : null;
            var t = batch.Timeline;
            return new JsonObject
            {
                ["id"] = batch.Id,
                ["object"] = "batch",
                ["endpoint"] = batch.Endpoint,
                ["errors"] = batch.ValidationErrors.Count == 0 ? null : new JsonObject
                {
                    ["object"] = "list",
                    ["data"] = new JsonArray(batch.ValidationErrors.Select(e => (JsonNode)e.DeepClone()).ToArray()),
                },
                ["input_file_id"] = batch.InputFileId,
                ["completion_window"] = batch.CompletionWindow,
                ["status"] = Status(phase),
                ["output_file_id"] = batch.OutputFileId,
                ["error_file_id"] = batch.ErrorFileId,
                ["created_at"] = t.CreatedAt.ToUnixTimeSeconds(),
                ["in_progress_at"] = At(phase is not (BatchPhase.Validating or BatchPhase.FailedValidation) && now >= t.StartsAt && !(t.CancelAskedAt < t.StartsAt), t.StartsAt),
                ["expires_at"] = t.ExpiresAt.ToUnixTimeSeconds(),
                ["finalizing_at"] = At(phase is BatchPhase.Finalizing or BatchPhase.Completed, phase == BatchPhase.Finalizing ? since : since - _options.FinalizingFor),
                ["completed_at"] = At(phase == BatchPhase.Completed, since),
                ["failed_at"] = At(phase == BatchPhase.FailedValidation, since),
                ["expired_at"] = At(phase == BatchPhase.Expired, since),
                ["cancelling_at"] = At(phase is BatchPhase.Cancelling or BatchPhase.Cancelled, t.CancelAskedAt ?? since),
                ["cancelled_at"] = At(phase == BatchPhase.Cancelled, since),
                ["request_counts"] = new JsonObject { ["total"] = batch.Lines.Count, ["completed"] = succeeded, ["failed"] = failed },
                ["metadata"] = batch.Metadata?.DeepClone(),
            };
        }
    }

    /// <summary>Writes the output file (responses) and the error file (failed, expired, cancelled lines), in finishing order.</summary>
    private void WriteResultFiles(OpenAiBatch batch, int done, BatchPhase phase)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var created = Now.ToUnixTimeSeconds();
        for (var i = 0; i < batch.Lines.Count; i++)
        {
            var line = batch.Lines[i];
            var requestId = NewId("req_");
            JsonObject entry = new() { ["id"] = NewId("batch_req_"), ["custom_id"] = line.CustomId };
            if (i < done)
            {
                entry["response"] = new JsonObject
                {
                    ["status_code"] = line.Fails ? 500 : 200,
                    ["request_id"] = requestId,
                    ["body"] = line.Fails
                        ? new JsonObject { ["error"] = new JsonObject { ["message"] = "The server had an error processing this request.", ["type"] = "server_error", ["param"] = null, ["code"] = null } }
                        : SimulatedAnswers.ChatCompletion(line, requestId, created),
                };
                entry["error"] = null;
            }
            else
            {
                var expired = phase == BatchPhase.Expired;
                entry["response"] = null;
                entry["error"] = new JsonObject
                {
                    ["code"] = expired ? "batch_expired" : "batch_cancelled",
                    ["message"] = expired ? "This request could not be executed before the completion window expired." : "This request was not executed because the batch was cancelled.",
                };
            }

            (i < done && !line.Fails ? output : errors).Append(entry.ToJsonString()).Append('\n');
        }

        batch.OutputFileId = Store(output, "batch_output");
        batch.ErrorFileId = Store(errors, "batch_output");
        batch.Materialized = true;
    }

    private string? Store(StringBuilder content, string purpose)
    {
        if (content.Length == 0)
        {
            return null;
        }

        var file = new SimulatedFile(NewId("file-"), "batch_output.jsonl", purpose, Encoding.UTF8.GetBytes(content.ToString()), Now.ToUnixTimeSeconds());
        _files[file.Id] = file;
        return file.Id;
    }

    private static string Status(BatchPhase phase) => phase switch
    {
        BatchPhase.Validating => "validating",
        BatchPhase.FailedValidation => "failed",
        BatchPhase.InProgress => "in_progress",
        BatchPhase.Finalizing => "finalizing",
        BatchPhase.Completed => "completed",
        BatchPhase.Expired => "expired",
        BatchPhase.Cancelling => "cancelling",
        _ => "cancelled",
    };

    private IResult WithFile(string id, Func<SimulatedFile, IResult> answer)
    {
        lock (_lock)
        {
            return _files.TryGetValue(id, out var file) ? answer(file) : Error(404, "invalid_request_error", $"No such File object: {id}", "id");
        }
    }

    private IResult WithBatch(string id, Func<OpenAiBatch, IResult> answer)
    {
        OpenAiBatch? batch;
        lock (_lock)
        {
            batch = _batches.Find(b => b.Id == id);
        }

        return batch is null ? Error(404, "invalid_request_error", $"No batch found with id '{id}'.", "batch_id") : answer(batch);
    }

    private static JsonObject FileObject(SimulatedFile file) => new()
    {
        ["id"] = file.Id,
        ["object"] = "file",
        ["bytes"] = file.Content.LongLength,
        ["created_at"] = file.CreatedAt,
        ["filename"] = file.FileName,
        ["purpose"] = file.Purpose,
    };

    private IResult Refuse(IResult result)
    {
        _counters.Refused();
        return result;
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    private static IResult Error(int status, string type, string message, string? param) => Results.Text(
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = null } }.ToJsonString(),
        "application/json", statusCode: status);

    /// <summary>Batch files run to hundreds of megabytes: lift Kestrel's 30 MB request cap for this request.</summary>
    internal static void Unbounded(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions { MultipartBodyLengthLimit = long.MaxValue }));
    }
}
