namespace Tem.ProviderSimulator.Batches;

/// <summary>A stored file: an uploaded batch input, or an output or error file the simulator wrote.</summary>
internal sealed record SimulatedFile(string Id, string FileName, string Purpose, byte[] Content, long CreatedAt);
