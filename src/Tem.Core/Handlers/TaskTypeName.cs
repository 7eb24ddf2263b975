namespace Tem;

/// <summary>The rule every task type name follows.</summary>
/// <remarks>
/// A name is 1 to 100 characters long, starts with an ASCII letter or digit, and otherwise holds
/// only ASCII letters, digits, '.', '-', '_', ':' and '/'. The source generator checks the same rule
/// at compile time (TEM002).
/// </remarks>
public static class TaskTypeName
{
    /// <summary>The longest allowed name.</summary>
    public const int MaxLength = 100;

    /// <summary>Whether <paramref name="name"/> is a valid task type name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    internal static void Validate(string? name, string parameterName)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid task type name. Use 1 to {MaxLength} ASCII letters, digits, '.', '-', '_', ':' or '/', starting with a letter or digit (for example \"rewrite\" or \"docs.summarize\").",
                parameterName);
        }
    }
}
