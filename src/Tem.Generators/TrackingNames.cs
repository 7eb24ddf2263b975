namespace Tem.Generators;

/// <summary>Names of the generator's pipeline steps, as seen by incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>One parsed [TemHandler] method (model or diagnostics).</summary>
    public const string Handlers = nameof(Handlers);

    /// <summary>Diagnostics of single handler methods.</summary>
    public const string HandlerDiagnostics = nameof(HandlerDiagnostics);

    /// <summary>One handler's model without source locations (what emission reads).</summary>
    public const string HandlerModels = nameof(HandlerModels);

    /// <summary>Every handler model, collected.</summary>
    public const string AllHandlers = nameof(AllHandlers);

    /// <summary>Assembly-level settings: generated namespace and named JSON contexts.</summary>
    public const string AssemblySettings = nameof(AssemblySettings);

    /// <summary>The final model the emitter writes.</summary>
    public const string Generation = nameof(Generation);

    /// <summary>Diagnostics that need every handler (duplicates, JSON coverage).</summary>
    public const string GenerationDiagnostics = nameof(GenerationDiagnostics);

    /// <summary>The source the emitter writes.</summary>
    public const string Output = nameof(Output);
}
