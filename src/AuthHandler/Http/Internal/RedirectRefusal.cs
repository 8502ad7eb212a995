namespace AuthHandler.Http.Internal;

/// <summary>Why a redirect goes back to the caller instead of being followed.</summary>
internal enum RedirectRefusal
{
    /// <summary>The redirect can be followed.</summary>
    None,

    /// <summary>The answer has no usable <c>Location</c> (a 300 without a preferred choice, say).</summary>
    NoLocation,

    /// <summary>The target is not an http or https URI.</summary>
    UnsupportedScheme,

    /// <summary>The target is http while the request was https.</summary>
    Downgrade,

    /// <summary>The method and body are kept (307, 308) but the body cannot be sent again.</summary>
    BodyCannotBeResent,

    /// <summary>The request was already redirected as often as the primary handler allows.</summary>
    HopLimit,
}
