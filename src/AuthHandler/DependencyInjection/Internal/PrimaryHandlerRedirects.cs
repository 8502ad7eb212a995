namespace AuthHandler.DependencyInjection.Internal;

/// <summary>Takes redirect following away from a client's primary handler.</summary>
internal static class PrimaryHandlerRedirects
{
    /// <summary>
    /// Stops <paramref name="handler"/> from following redirects and returns how many it would
    /// have followed: its <c>MaxAutomaticRedirections</c> (50 unless the app changed it), or 0 when
    /// the app had turned following off. A handler that is neither a
    /// <see cref="SocketsHttpHandler"/> nor an <see cref="HttpClientHandler"/> (at the end of any
    /// <see cref="DelegatingHandler"/>s) is left alone and counts as not following: what it does
    /// with a 3xx is its own business, as it was before.
    /// </summary>
    /// <exception cref="InvalidOperationException">The handler follows redirects and has sent requests already (an instance the app shares between clients), so it can no longer be changed.</exception>
    public static int TakeOver(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        switch (handler)
        {
            case SocketsHttpHandler { AllowAutoRedirect: true } sockets:
                sockets.AllowAutoRedirect = false;
                return sockets.MaxAutomaticRedirections;
            case HttpClientHandler { AllowAutoRedirect: true } client:
                client.AllowAutoRedirect = false;
                return client.MaxAutomaticRedirections;
            default:
                return 0;
        }
    }
}
