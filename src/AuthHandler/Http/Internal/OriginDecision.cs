namespace AuthHandler.Http.Internal;

/// <summary>What <see cref="OriginSet.Authorize"/> decided for a request's first hop.</summary>
internal enum OriginDecision
{
    /// <summary>An allowed origin: the request gets the token and the device headers.</summary>
    Allowed,

    /// <summary>Allowed, and this request pinned the client's origin (the first one, once per client).</summary>
    Pinned,

    /// <summary>Not an allowed origin: the request gets nothing of ours.</summary>
    Refused,

    /// <summary>Refused, and the first refusal of this client (worth a warning once).</summary>
    FirstRefused,
}
