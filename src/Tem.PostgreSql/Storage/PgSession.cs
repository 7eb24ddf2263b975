using Npgsql;

namespace Tem.Storage.Postgres;

/// <summary>
/// One store call on one pooled connection: inside a transaction (<see cref="PgDatabase.RunAsync{T}"/>) or, for a single
/// statement atomic by itself, none (<see cref="PgDatabase.RunStatementAsync{T}"/>). Its commands, and its change set,
/// sent as NOTIFY just before the transaction commits (a call without a transaction changes nothing others must hear of).
/// </summary>
internal sealed class PgSession(PgDatabase db, NpgsqlConnection connection, NpgsqlTransaction? transaction)
{
    /// <summary>What this transaction changed: sent as NOTIFY before it commits (<see cref="SendNotificationsAsync"/>).</summary>
    public StoreChanges Changes { get; } = new();

    public PgDatabase Db => db;

    /// <summary>The open connection (for an <see cref="NpgsqlBatch"/>; commands go through <see cref="Command"/>).</summary>
    public NpgsqlConnection Connection => connection;

    /// <summary>A command for <paramref name="template"/> (see <see cref="PgDatabase.Sql"/>) on this session (in its transaction, if any); dispose it.</summary>
    public NpgsqlCommand Command(string template, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = new NpgsqlCommand(db.Sql(template), connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return command;
    }

    public async ValueTask<int> ExecuteAsync(string template, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(template, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<object?> ScalarAsync(string template, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(template, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>Reads every row of <paramref name="template"/> with <paramref name="map"/>.</summary>
    public async ValueTask<List<T>> ListAsync<T>(string template, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(template, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(map(reader));
        }

        return list;
    }

    public async ValueTask SendNotificationsAsync(CancellationToken cancellationToken)
    {
        if (Changes.IsEmpty)
        {
            return;
        }

        // Sent in the transaction, so delivered to every engine listening on this schema only if it commits.
        await using var command = Command("SELECT pg_notify(@channel, p) FROM unnest(@payloads) AS p;",
            ("channel", db.Channel), ("payloads", PgNotifications.Payloads(Changes).Select(p => db.Origin + " " + p).ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
