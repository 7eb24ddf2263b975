namespace Tem.Generators;

/// <summary>The same rule as <c>Tem.TaskTypeName.IsValid</c> (the generator cannot reference Tem.Core).</summary>
internal static class TaskTypeNameRule
{
    public const int MaxLength = 100;

    public static bool IsValid(string? name)
    {
        if (name is null || name.Length == 0 || name.Length > MaxLength || !IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAsciiLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');
}
