using System.Collections.Generic;
using Tem.Generators.Model;

namespace Tem.Generators.Parsing;

/// <summary>
/// Remembers why <see cref="JsonTypeAnalyzer"/> refused a type, and through which members it got there, so TEM008 can
/// name the member at fault instead of only the payload type. The innermost refusal wins: it is the one to fix.
/// </summary>
internal sealed class JsonRefusalTracker
{
    private readonly List<string> _path = new();

    public JsonRefusal? Refusal { get; private set; }

    public void Enter(string member) => _path.Add(member);

    public void Leave() => _path.RemoveAt(_path.Count - 1);

    /// <summary>Records <paramref name="reason"/> unless a deeper one was recorded first; returns null for the caller to return.</summary>
    /// <param name="reason">What is wrong, naming the type or member.</param>
    /// <param name="contextCanHelp">Whether a user's JsonSerializerContext would serialize the type correctly; false
    /// when System.Text.Json's own generator compiles it but fails at run time (an unbindable constructor, say).</param>
    public JsonTypeModel? Refuse(string reason, bool contextCanHelp = true)
    {
        Refusal ??= new JsonRefusal(string.Join(".", _path), reason, contextCanHelp);
        return null;
    }
}
