namespace Tem;

/// <summary>
/// Costs as the store keeps them: whole billionths of a US dollar in a 64-bit integer, so that sums in SQL are exact
/// and every price quoted to a thousandth of a dollar per 1M tokens is exact per token. A cost is rounded up to the
/// next billionth (a budget is never under-charged).
/// </summary>
internal static class Money
{
    private const decimal NanosPerUsd = 1_000_000_000m;

    /// <summary>The largest amount kept: a billion dollars, far below the integer's range so sums cannot overflow.</summary>
    public const decimal MaxUsd = 1_000_000_000m;

    public static long ToNanos(decimal usd) => (long)Math.Ceiling(Math.Min(usd, MaxUsd) * NanosPerUsd);

    /// <summary>A bound in dollars, rounded down to a billionth (a budget is never exceeded by rounding).</summary>
    public static long ToNanosDown(decimal usd) => (long)Math.Floor(Math.Min(usd, MaxUsd) * NanosPerUsd);

    public static decimal ToUsd(long nanos) => nanos / NanosPerUsd;

    /// <summary>Dollars as a person reads them: at least cents, and every further digit there is (never rounded: "$0.50 spent of $0.50" must mean it).</summary>
    public static string Format(decimal usd) => usd.ToString("0.00#######", System.Globalization.CultureInfo.InvariantCulture);
}
