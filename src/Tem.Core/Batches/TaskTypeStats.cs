namespace Tem;

/// <summary>How many of a batch's tasks of one type are in each status, and how often the provider refused them.</summary>
/// <param name="Type">The task type.</param>
/// <param name="Stats">Its tasks per status.</param>
/// <param name="RateLimitDeferrals">How many runs of these tasks a provider refused (<see cref="RetryAfterException"/>) since
/// they were enqueued or last retried with <see cref="BatchService.RetryFailedAsync"/>.</param>
public sealed record TaskTypeStats(string Type, BatchStats Stats, long RateLimitDeferrals);
