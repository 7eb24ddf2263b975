namespace Tem;

/// <summary>How hard each commit is pushed to disk.</summary>
public enum TemDurability
{
    /// <summary><c>synchronous=NORMAL</c>: survives any process crash; a power loss may roll back the last commits, which at-least-once execution absorbs.</summary>
    Normal = 0,

    /// <summary><c>synchronous=FULL</c>: an fsync per commit; grouped commits keep it affordable.</summary>
    Full = 1,
}
