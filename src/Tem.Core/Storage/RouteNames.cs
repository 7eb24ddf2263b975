namespace Tem.Storage;

/// <summary>A route as the <c>batch.route</c> column stores it.</summary>
internal static class RouteNames
{
    public static string ToText(LlmRoute route) => route switch
    {
        LlmRoute.Live => "live",
        LlmRoute.ProviderBatch => "batch",
        LlmRoute.Auto => "auto",
        _ => throw new ArgumentOutOfRangeException(nameof(route), route, "A route is Live, ProviderBatch or Auto."),
    };

    public static LlmRoute Parse(string text) => text switch
    {
        "batch" => LlmRoute.ProviderBatch,
        "auto" => LlmRoute.Auto,
        _ => LlmRoute.Live,
    };
}
