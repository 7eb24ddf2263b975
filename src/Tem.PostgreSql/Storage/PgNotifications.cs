using System.Globalization;
using Npgsql;
using Tem.Execution;

namespace Tem.Storage.Postgres;

/// <summary>
/// LISTEN/NOTIFY between engines on one schema. Writes queue a notification in their transaction (delivered only
/// if it commits): <c>w &lt;ms&gt;</c> work can be claimed in that many milliseconds, <c>c &lt;id&gt;</c> a batch was
/// cancelled, <c>b</c> a batch changed state. A listener holds one connection, passes what other stores sent to the
/// engine's <see cref="EngineSignals"/>, and reconnects with backoff when the connection drops — then wakes
/// everything once, since notifications sent meanwhile are lost (polling covers the rest).
/// </summary>
internal sealed class PgNotifications : IAsyncDisposable
{
    private static readonly TimeSpan StopCheck = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PingAfter = TimeSpan.FromSeconds(30);
    private readonly PgDatabase _db;
    private readonly EngineSignals _signals;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PgNotifications(PgDatabase db, EngineSignals signals)
    {
        _db = db;
        _signals = signals;
        // A thread of its own, blocked in the socket read: a notification is handled the moment it arrives, not when a
        // busy thread pool (handlers, outcome writes, claims) gets round to the read's continuation.
        _thread = new Thread(ListenLoop) { IsBackground = true, Name = "Tem PostgreSQL LISTEN" };
        _thread.Start();
    }

    /// <summary>The first LISTEN is in place (tests wait for it; the engine need not).</summary>
    public Task Listening => _listening.Task;

    public const string Changed = "b";

    public static string Work(TimeSpan delay) => "w " + ((long)Math.Max(0, delay.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    public static string Cancelled(long batchId) => "c " + batchId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The notifications a committed change set sends: work per due time, each cancel, else that a batch changed.</summary>
    public static IEnumerable<string> Payloads(StoreChanges changes)
    {
        foreach (var dueIn in changes.WorkDueIn)
        {
            yield return Work(dueIn);
        }

        foreach (var batchId in changes.Cancelled)
        {
            yield return Cancelled(batchId);
        }

        // Listeners look at their batches again on any notification; "b" only when nothing else says so.
        if (changes.BatchChanged && changes.WorkDueIn.Count == 0 && changes.Cancelled.Count == 0)
        {
            yield return Changed;
        }
    }

    public static PgNotifications Start(PgDatabase db, EngineSignals signals) => new(db, signals);

    private void ListenLoop()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var missedSome = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var connection = _db.DataSource.OpenConnection();
                connection.Notification += OnNotification;
                using (var listen = new NpgsqlCommand($"LISTEN {_db.Channel};", connection))
                {
                    listen.ExecuteNonQuery();
                }

                _listening.TrySetResult();
                if (missedSome)
                {
                    Wake(); // whatever was sent while we were away
                }

                delay = TimeSpan.FromMilliseconds(100);
                var quiet = System.Diagnostics.Stopwatch.StartNew();
                while (!_stop.IsCancellationRequested)
                {
                    // Short waits so that a stop is seen within one; a ping after 30 s of quiet makes a dead connection
                    // show itself as an error.
                    if (connection.Wait(StopCheck))
                    {
                        quiet.Restart();
                    }
                    else if (quiet.Elapsed > PingAfter)
                    {
                        using var ping = new NpgsqlCommand("SELECT 1;", connection);
                        ping.ExecuteScalar();
                        quiet.Restart();
                    }
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                missedSome = true;
                if (_stop.Token.WaitHandle.WaitOne(delay))
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var payload = e.Payload;
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || payload.AsSpan(0, space).SequenceEqual(_db.Origin))
        {
            return; // our own: the engine that wrote it signalled itself already
        }

        var message = payload.AsSpan(space + 1);
        var argument = message.Length > 2 && long.TryParse(message[2..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        switch (message.Length > 0 ? message[0] : ' ')
        {
            case 'w':
                _signals.WorkAvailable(argument > 0 ? TimeSpan.FromMilliseconds(argument) : null);
                _signals.BatchChanged();
                break;
            case 'c':
                _signals.Cancelled(argument);
                _signals.BatchChanged();
                break;
            default:
                _signals.BatchChanged();
                break;
        }
    }

    private void Wake()
    {
        _signals.WorkAvailable();
        _signals.BatchChanged();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // The thread sees the stop within one short wait; joined off the caller's thread so that no thread blocks on it.
        await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        _stop.Dispose();
    }
}
