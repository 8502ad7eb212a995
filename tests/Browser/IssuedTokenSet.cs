namespace AuthHandler.Tests.Browser;

/// <summary>A token set the server issued (<see cref="IdToken"/> only when <c>openid</c> was asked for).</summary>
internal sealed record IssuedTokenSet(string AccessToken, string RefreshToken, string? IdToken)
{
    public override string ToString() => "IssuedTokenSet (tokens hidden)";
}
