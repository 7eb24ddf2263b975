namespace Tem.Dashboard;

/// <summary>
/// A fixed number of the latest sample intervals — when each ended, how long it was, and how many tasks completed,
/// failed and were refused in it — turned into per-second rates for a chart. Written by the sampler, read by streams.
/// </summary>
internal sealed class RateHistory(int capacity)
{
    private readonly long[] _at = new long[capacity];
    private readonly long[] _lengthMs = new long[capacity];
    private readonly long[] _completed = new long[capacity];
    private readonly long[] _failed = new long[capacity];
    private readonly long[] _refused = new long[capacity];
    private readonly object _gate = new();
    private int _next;
    private int _count;

    public void Add(long atMs, long lengthMs, long completed, long failed, long refused)
    {
        lock (_gate)
        {
            _at[_next] = atMs;
            _lengthMs[_next] = Math.Max(1, lengthMs);
            _completed[_next] = completed;
            _failed[_next] = failed;
            _refused[_next] = refused;
            _next = (_next + 1) % capacity;
            _count = Math.Min(_count + 1, capacity);
        }
    }

    public RateSeries ToSeries()
    {
        lock (_gate)
        {
            var at = new long[_count];
            var completed = new double[_count];
            var failed = new double[_count];
            var refused = new double[_count];
            var first = (_next - _count + capacity) % capacity;
            for (var i = 0; i < _count; i++)
            {
                var j = (first + i) % capacity;
                var seconds = _lengthMs[j] / 1000.0;
                at[i] = _at[j];
                completed[i] = Math.Round(_completed[j] / seconds, 2);
                failed[i] = Math.Round(_failed[j] / seconds, 2);
                refused[i] = Math.Round(_refused[j] / seconds, 2);
            }

            return new RateSeries(at, completed, failed, refused);
        }
    }
}
