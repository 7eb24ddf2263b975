namespace Tem;

/// <summary>What a handler knows about the task it is running.</summary>
public sealed class TaskContext
{
    /// <summary>The task the current async flow runs, so an HTTP handler can tell its permits when the request leaves.</summary>
    internal static readonly AsyncLocal<TaskContext?> Current = new();

    private readonly Execution.TokenBudget? _tokens;
    private readonly Execution.StartRateGate? _gate;
    private readonly object _ticketsLock = new();
    private readonly List<Execution.TokenTicket> _unsentTokens = [];
    private Execution.RateTicket? _startTicket;
    private bool _requestSent;

    /// <summary>Whether a provider call of this run has been granted its permit: from then on the run is not handed back.</summary>
    internal bool CallGranted { get; set; }

    internal TaskContext(long taskId, long batchId, string taskType, int attempt, int maxAttempts, string? idempotencyKey,
        Execution.TokenBudget? tokens = null, Execution.StartRateGate? gate = null, Execution.RateTicket? startTicket = null)
    {
        _tokens = tokens;
        _gate = gate;
        _startTicket = startTicket;
        TaskId = taskId;
        BatchId = batchId;
        TaskType = taskType;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>This run's calls as budgets see them (set by the runner); null outside a worker.</summary>
    internal Execution.TaskSpend? Spend { get; set; }

    /// <summary>The task's id.</summary>
    public long TaskId { get; }

    /// <summary>The id of the task's batch.</summary>
    public long BatchId { get; }

    /// <summary>The task type name.</summary>
    public string TaskType { get; }

    /// <summary>Which run this is, starting at 1.</summary>
    public int Attempt { get; }

    /// <summary>How many runs the task may have before it fails.</summary>
    public int MaxAttempts { get; }

    /// <summary>
    /// Waits until the engine's token windows (<see cref="RateLimitOptions.TokensPerMinute"/>) have room for
    /// <paramref name="tokens"/>, and records them: call it with the request's estimated tokens before sending it,
    /// so a tokens-per-minute limit is honoured beside the requests-per-minute one. Returns at once when no token
    /// window is configured.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> exceeds a whole window.</exception>
    public async ValueTask ReserveTokensAsync(int tokens, CancellationToken cancellationToken = default)
    {
        if (_tokens is null)
        {
            return;
        }

        var ticket = await _tokens.ReserveAsync(tokens, cancellationToken).ConfigureAwait(false);
        if (!ticket.IsNone)
        {
            lock (_ticketsLock)
            {
                _unsentTokens.Add(ticket);
            }
        }
    }

    /// <summary>
    /// Tells the rate limits that this task's request to the provider leaves now: its start permit (first call only)
    /// and its unsent token reservations are moved to this moment, so that a provider counting requests on arrival
    /// never sees more than the limit, however long the handler took to get here. <see cref="ProviderRateLimitHandler"/>
    /// calls it for you; call it yourself right before the request when you use another client.
    /// </summary>
    public void MarkRequestSent() => MarkRequest();

    /// <summary>Does what <see cref="MarkRequestSent"/> says; true for the task's first request, which its start permit counted.</summary>
    internal bool MarkRequest()
    {
        lock (_ticketsLock)
        {
            var first = !_requestSent;
            _requestSent = true;
            if (_startTicket is not null)
            {
                _gate?.Restamp(_startTicket);
                _startTicket = null;
            }

            foreach (var ticket in _unsentTokens)
            {
                _tokens?.Restamp(ticket);
            }

            _unsentTokens.Clear();
            return first;
        }
    }

    /// <summary>
    /// Logs the run's reserved start permit at now: the handler is about to be called, its payload already read.
    /// Recording it any earlier would let cold code between the two push starts past a window's edge.
    /// </summary>
    internal void MarkHandlerStarting()
    {
        lock (_ticketsLock)
        {
            if (_startTicket is { IsReserved: true } ticket)
            {
                _gate?.Start(ticket);
            }
        }
    }

    /// <summary>The idempotency key given at enqueue, if any; pass it to providers that deduplicate requests.</summary>
    public string? IdempotencyKey { get; }
}
