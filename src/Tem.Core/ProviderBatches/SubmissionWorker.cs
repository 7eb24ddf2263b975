using System.Collections.Concurrent;
using Tem.Execution;
using Tem.Llm;
using Tem.Storage;

namespace Tem.ProviderBatches;

/// <summary>
/// The provider-batch loop of a worker with LLM tasks: pack what the routes send to the batch API, then drive every
/// due submission (this process's or a dead one's) until nothing is due; when idle, wait a short while or until an
/// enqueue wakes it. Runs beside the worker's dispatcher and stops with it.
/// </summary>
internal sealed class SubmissionWorker
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(200);
    private readonly WorkerContext _context;
    private readonly SubmissionPacker _packer;
    private readonly SubmissionDriver _driver;
    private readonly ConcurrentDictionary<string, PackedLines> _packed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler()) { Timeout = TimeSpan.FromMinutes(10) };
    private readonly ConcurrentDictionary<LlmEndpoint, IProviderBatchApi> _apis = new();
    private Task _loop = Task.CompletedTask;

    public SubmissionWorker(WorkerContext context, IProviderSubmissionStore submissions, IReadOnlyDictionary<string, LlmTaskEntry> tasks, ClaimScope scope)
    {
        _context = context;
        _packer = new SubmissionPacker(context, submissions, tasks, scope);
        _driver = new SubmissionDriver(context, submissions, tasks, ApiFor, _packed);
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _http.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var busy = false;
            try
            {
                foreach (var (nonce, lines) in await _packer.PackOnceAsync(ct).ConfigureAwait(false))
                {
                    _packed[nonce] = lines;
                    busy = true;
                }

                while (await _driver.DriveOnceAsync(ct).ConfigureAwait(false))
                {
                    busy = true;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ProviderBatchLoopFailed(_context.Logger, ex);
            }

            if (!busy)
            {
                await Task.Delay(Idle, _context.Time, ct).ConfigureAwait(false);
            }
        }
    }

    private IProviderBatchApi ApiFor(LlmTaskEntry entry) => _apis.GetOrAdd(entry.Endpoint, endpoint => endpoint.Provider == LlmProvider.OpenAI
        ? new OpenAiBatchAdapter(new OpenAiBatchClient(_http, endpoint.BaseAddress, endpoint.ApiKey))
        : new AnthropicBatchAdapter(new AnthropicBatchClient(_http, endpoint.BaseAddress, endpoint.ApiKey)));
}
