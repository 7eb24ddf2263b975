using Microsoft.Data.Sqlite;

namespace Tem.Storage;

/// <summary>
/// Commands kept for the life of one connection, keyed by their SQL text. The hot statements (claim, outcome
/// writes, batch tallies) run once per group; creating a command per group made SQLite parse and plan the same
/// text hundreds of times a second. Callers hold the connection's lock, so one command is never used twice at once.
/// </summary>
internal sealed class StatementCache : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public StatementCache(SqliteConnection connection) => _connection = connection;

    /// <summary>
    /// The command for <paramref name="sql"/> inside <paramref name="transaction"/>, with every parameter named
    /// in <paramref name="parameters"/> set; parameters the text names but the caller leaves out keep no stale value.
    /// </summary>
    public SqliteCommand Get(SqliteTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        command.Transaction = transaction;
        foreach (SqliteParameter parameter in command.Parameters)
        {
            parameter.Value = DBNull.Value;
        }

        foreach (var (name, value) in parameters)
        {
            var index = command.Parameters.IndexOf(name);
            if (index < 0)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
            else
            {
                command.Parameters[index].Value = value ?? DBNull.Value;
            }
        }

        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
