using Xunit;

namespace Tem.Dashboard.Tests;

/// <summary>The header names the store: a SQLite file by its name, PostgreSQL whole (its description is no path).</summary>
public class StoreLabelTests
{
    [Fact]
    public void A_sqlite_file_shows_its_name()
        => Assert.Equal("tem.db", PageLayout.StoreLabel(Path.Combine(Path.GetTempPath(), "runs", "tem.db")));

    [Fact]
    public void A_postgres_store_shows_server_database_and_schema()
        => Assert.Equal("PostgreSQL db1:5432/llm, schema tem", PageLayout.StoreLabel("PostgreSQL db1:5432/llm, schema tem")); // was "llm, schema tem"
}
