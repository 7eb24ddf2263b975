namespace Tem;

/// <summary>Finds a model's price: the batch's own table first, then the engine's; by exact name, then by the longest name that begins it (a dated snapshot such as <c>gpt-4o-mini-2024-07-18</c> takes <c>gpt-4o-mini</c>'s).</summary>
internal static class PriceTable
{
    public static ModelPrice? Find(string? model, IReadOnlyDictionary<string, ModelPrice>? batch, IReadOnlyDictionary<string, ModelPrice>? engine)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        return Find(model, batch) ?? Find(model, engine);
    }

    public static void Validate(IReadOnlyDictionary<string, ModelPrice>? prices)
    {
        foreach (var (model, price) in prices ?? new Dictionary<string, ModelPrice>())
        {
            if (string.IsNullOrWhiteSpace(model))
            {
                throw new TemConfigurationException("A price is given for an empty model name; key each price by the model name the provider is called with.");
            }

            if (price is null)
            {
                throw new TemConfigurationException($"The price of model '{model}' is null; give a ModelPrice or leave the model out.");
            }

            price.Validate(model);
        }
    }

    private static ModelPrice? Find(string model, IReadOnlyDictionary<string, ModelPrice>? prices)
    {
        if (prices is null)
        {
            return null;
        }

        if (prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        ModelPrice? best = null;
        var bestLength = 0;
        foreach (var (name, price) in prices)
        {
            if (name.Length > bestLength && model.StartsWith(name, StringComparison.Ordinal))
            {
                (best, bestLength) = (price, name.Length);
            }
        }

        return best;
    }
}
