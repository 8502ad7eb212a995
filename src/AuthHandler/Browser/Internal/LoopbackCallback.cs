namespace AuthHandler.Browser.Internal;

/// <summary>
/// The first GET to the redirect path: its query parameters, and the page the browser is
/// answered with once the sign-in has decided (<see cref="Respond"/>).
/// </summary>
internal sealed class LoopbackCallback
{
    private readonly Dictionary<string, string> _parameters;
    private readonly HashSet<string> _repeated;
    private readonly TaskCompletionSource<LandingPage> _page = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _served = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LoopbackCallback(Dictionary<string, string> parameters, HashSet<string> repeated)
    {
        _parameters = parameters;
        _repeated = repeated;
    }

    /// <summary>The page to send; set once.</summary>
    public Task<LandingPage> Page => _page.Task;

    /// <summary>Completes when the page was sent (or the connection was given up).</summary>
    public Task Served => _served.Task;

    /// <summary>The parameter's value; null when it is absent or sent more than once (RFC 6749 §3.1).</summary>
    public string? Single(string name) => _repeated.Contains(name) ? null : _parameters.GetValueOrDefault(name);

    /// <summary>Whether the parameter is present at all (once or more).</summary>
    public bool Has(string name) => _parameters.ContainsKey(name) || _repeated.Contains(name);

    /// <summary>Sets the page to answer with; later calls are ignored.</summary>
    public void Respond(LandingPage page) => _page.TrySetResult(page);

    public void MarkServed() => _served.TrySetResult();
}
