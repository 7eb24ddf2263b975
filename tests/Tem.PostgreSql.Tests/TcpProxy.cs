using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Tem.PostgreSql.Tests;

/// <summary>
/// A TCP relay on 127.0.0.1 between Npgsql and the server, which a test can cut and restore: the network failure
/// of a real outage, without mocks. <see cref="Cut"/> with <c>reset</c> refuses the way a restarted server or a
/// failover does (every connection reset, new ones reset at once); without it the relay becomes a black hole, as a
/// partition is (bytes vanish, connections hang until the client's timeouts fire). <see cref="Restore"/> relays again;
/// connections that fell into the black hole are reset then, since bytes were lost on them. <see cref="HoldAnswers"/>
/// lets requests through but keeps the server's answers until <see cref="ReleaseAnswers"/> delivers them, late and
/// whole: a link that stalls after the server acted (a frozen process, a congested route).
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile Mode _mode = Mode.Relay;
    private TaskCompletionSource? _answersHeld;

    private TcpProxy(string host, int port)
    {
        _upstreamHost = host;
        _upstreamPort = port;
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    private enum Mode
    {
        Relay,
        Reset,
        BlackHole,
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted while cut (a client knocking during the outage).</summary>
    public int RefusedWhileCut => Volatile.Read(ref _refused);

    private int _refused;

    /// <summary>A relay in front of the server of <paramref name="connectionString"/>; returns the connection string through it.</summary>
    public static (TcpProxy Proxy, string ConnectionString) For(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new TcpProxy(builder.Host ?? "127.0.0.1", builder.Port);
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        return (proxy, builder.ConnectionString);
    }

    public void Cut(bool reset)
    {
        _mode = reset ? Mode.Reset : Mode.BlackHole;
        if (reset)
        {
            ResetAll();
        }
    }

    /// <summary>From now on the server's answers wait in the relay (requests still reach the server).</summary>
    public void HoldAnswers() => Volatile.Write(ref _answersHeld, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Delivers the answers held since <see cref="HoldAnswers"/>, in order, and relays normally again.</summary>
    public void ReleaseAnswers() => Interlocked.Exchange(ref _answersHeld, null)?.TrySetResult();

    public void Restore()
    {
        if (_mode == Mode.BlackHole)
        {
            ResetAll();
        }

        _mode = Mode.Relay;
    }

    private void ResetAll()
    {
        foreach (var link in _links.Keys)
        {
            link.Reset();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        if (_mode != Mode.Relay)
        {
            Interlocked.Increment(ref _refused);
            if (_mode == Mode.Reset)
            {
                Link.Abort(client);
                return;
            }
        }

        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var link = new Link(client, server);
        _links[link] = 0;
        try
        {
            await server.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
            await Task.WhenAll(PumpAsync(link, client, server, toClient: false), PumpAsync(link, server, client, toClient: true));
        }
        catch (Exception)
        {
            // A reset, a stop or the server going away: the link ends.
        }
        finally
        {
            link.Reset();
            _links.TryRemove(link, out _);
        }
    }

    /// <summary>Copies one direction; in a black hole the bytes are read and dropped.</summary>
    private async Task PumpAsync(Link link, Socket from, Socket to, bool toClient)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                link.Reset();
                return;
            }

            if (_mode != Mode.Relay)
            {
                if (_mode == Mode.Reset)
                {
                    link.Reset();
                    return;
                }

                continue;
            }

            if (toClient && Volatile.Read(ref _answersHeld) is { } held)
            {
                await held.Task.WaitAsync(_stop.Token); // the bytes wait here; the kernel's buffers hold what follows
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        ResetAll();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    /// <summary>One relayed connection: the client's socket and the server's.</summary>
    private sealed class Link(Socket client, Socket server)
    {
        private int _reset;

        public void Reset()
        {
            if (Interlocked.Exchange(ref _reset, 1) == 0)
            {
                Abort(client);
                Abort(server);
            }
        }

        /// <summary>Closes with RST (linger 0), as a crashed peer or a failover does, not with a polite FIN.</summary>
        public static void Abort(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception)
            {
            }
        }
    }
}
