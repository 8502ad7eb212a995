using System.Net.WebSockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/beyond-httpclient.md: the session's token for calls that do not go through its HttpClient.</summary>
public static class BeyondHttpClient
{
    /// <summary>Gets the session registered for the client named "ForecastApi".</summary>
    /// <param name="provider">The application's services.</param>
    /// <returns>The session.</returns>
    public static IDeviceAuthSession Session(IServiceProvider provider)
    {
        #region session
        var session = provider.GetRequiredKeyedService<IDeviceAuthSession>("ForecastApi");
        #endregion
        return session;
    }

    /// <summary>A gRPC channel whose calls carry the session's token.</summary>
    /// <param name="session">The session.</param>
    /// <returns>The channel.</returns>
    public static GrpcChannel Grpc(IDeviceAuthSession session)
    {
        #region grpc
        // Call credentials run before every call, so each call sends the current token (a fresh
        // one is a field read; a due refresh is the one the session shares with its HttpClient).
        var credentials = CallCredentials.FromInterceptor(async (context, metadata) =>
        {
            var token = await session.GetAccessTokenAsync(context.CancellationToken);
            metadata.Add("Authorization", $"{token.Scheme} {token.Value}");
        });

        var channel = GrpcChannel.ForAddress("https://grpc.example.com", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });
        #endregion
        return channel;
    }

    /// <summary>Sends a unary call once more when the server answers Unauthenticated.</summary>
    /// <typeparam name="TResponse">The call's response.</typeparam>
    /// <param name="session">The session.</param>
    /// <param name="call">Makes the call with the given headers.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    #region grpc-retry
    public static async Task<TResponse> CallAsync<TResponse>(
        IDeviceAuthSession session, Func<Metadata, Task<TResponse>> call, CancellationToken cancellationToken)
    {
        var token = await session.GetAccessTokenAsync(cancellationToken);
        try
        {
            return await call(new Metadata { { "Authorization", $"{token.Scheme} {token.Value}" } });
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            // The handler's 401 path: one refresh, shared by every caller that reports this token;
            // then the call goes once more, never in a loop.
            token = await session.RefreshAccessTokenAsync(token, cancellationToken);
            return await call(new Metadata { { "Authorization", $"{token.Scheme} {token.Value}" } });
        }
    }
    #endregion

    /// <summary>A SignalR connection that authenticates with the session's token.</summary>
    /// <param name="session">The session.</param>
    /// <returns>The connection, not started.</returns>
    public static HubConnection SignalR(IDeviceAuthSession session)
    {
        #region signalr
        // SignalR asks for the token at every (re)connect and sends it as a Bearer token.
        var connection = new HubConnectionBuilder()
            .WithUrl("https://api.example.com/hubs/forecast", options =>
                options.AccessTokenProvider = async () => (await session.GetAccessTokenAsync()).Value)
            .WithAutomaticReconnect()
            .Build();
        #endregion
        return connection;
    }

    /// <summary>Opens a WebSocket with the session's token in the upgrade request.</summary>
    /// <param name="session">The session.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The open socket.</returns>
    public static async Task<ClientWebSocket> WebSocketAsync(IDeviceAuthSession session, CancellationToken cancellationToken)
    {
        #region websocket
        var token = await session.GetAccessTokenAsync(cancellationToken);
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"{token.Scheme} {token.Value}");
        await socket.ConnectAsync(new Uri("wss://api.example.com/stream"), cancellationToken);
        #endregion
        return socket;
    }

    /// <summary>Prints who is signed in, from the store, without a network call.</summary>
    /// <param name="session">The session.</param>
    /// <param name="cancellationToken">Cancels the store read.</param>
    /// <returns>A task that completes when the line is written.</returns>
    public static async Task AccountAsync(IDeviceAuthSession session, CancellationToken cancellationToken)
    {
        #region account
        if (await session.GetAccountAsync(cancellationToken) is not { } account)
        {
            Console.WriteLine("Not signed in.");
            return;
        }

        // Names come from the ID token (when the server issued one): for display, not for decisions.
        var who = account.PreferredUsername ?? account.Email ?? account.Name ?? account.Subject ?? "(no ID token)";
        Console.WriteLine($"Signed in as {who}; scopes: {string.Join(' ', account.Scopes)}; "
            + $"access token until {account.AccessTokenExpiresAt:u}; refresh token: {(account.HasRefreshToken ? "yes" : "no")}");
        #endregion
    }
}
